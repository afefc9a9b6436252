import type { RouteRateLimit } from '@latchkey/core';

export type RateDecision = { allowed: boolean; limit: number; remaining: number; resetMs: number };

export type RateLimitStore = {
  consume(key: string, rule: RouteRateLimit): Promise<RateDecision>;
  close?(): Promise<void>;
};

/**
 * `memory` (default) counts in this process; `redis` shares the counts between app replicas
 * (rate-limiter-flexible on ioredis, both optional peer dependencies loaded only then).
 */
export type RateLimitOptions = {
  /** An ioredis client, or a redis:// URL to make one. */
  redis?: unknown;
  /** Prefix of the Redis keys (default `latch:rl`). */
  keyPrefix?: string;
  /** Or any store of your own. */
  store?: RateLimitStore;
};

const MAX_MEMORY_KEYS = 100_000;

/**
 * Fixed windows in a Map. A window per key is exact enough for abuse limits and costs one Map
 * look-up; expired windows are swept when the map grows, so memory stays bounded.
 */
export function memoryStore(clock: { now(): number } = { now: Date.now }): RateLimitStore {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async consume(key, rule) {
      const now = clock.now();
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        if (windows.size >= MAX_MEMORY_KEYS) {
          for (const [k, v] of windows) if (v.resetAt <= now) windows.delete(k);
          // Still full of live windows: forget the oldest rather than grow without bound.
          if (windows.size >= MAX_MEMORY_KEYS) windows.delete(windows.keys().next().value as string);
        }
        w = { count: 0, resetAt: now + rule.windowMs };
        windows.set(key, w);
      }
      w.count++;
      return {
        allowed: w.count <= rule.limit,
        limit: rule.limit,
        remaining: Math.max(0, rule.limit - w.count),
        resetMs: w.resetAt - now,
      };
    },
  };
}

type Limiter = {
  consume(key: string, points?: number): Promise<{ remainingPoints: number; msBeforeNext: number }>;
};
type Res = { remainingPoints: number; msBeforeNext: number };

/**
 * Shared limits through Redis. If Redis fails, an in-memory limiter with the same rule takes
 * over (rate-limiter-flexible's insurance), so an outage degrades to per-replica limits instead
 * of refusing or unlimiting everyone.
 */
export async function redisStore(opts: { redis: unknown; keyPrefix?: string }): Promise<RateLimitStore> {
  const rlf = await import('rate-limiter-flexible').catch(() => {
    throw new Error(
      'Redis rate limits need the rate-limiter-flexible package: npm i rate-limiter-flexible ioredis',
    );
  });
  let client = opts.redis;
  let owned = false;
  if (typeof client === 'string') {
    const mod = (await import('ioredis').catch(() => {
      throw new Error('Redis rate limits need the ioredis package: npm i ioredis');
    })) as unknown as { Redis: new (url: string, o: object) => unknown };
    // The offline queue lets the first requests wait for the connection; one retry bounds the
    // wait when Redis is down, and the insurance limiter answers instead.
    client = new mod.Redis(client, { maxRetriesPerRequest: 1 });
    owned = true;
  }
  const prefix = opts.keyPrefix ?? 'latch:rl';
  const limiters = new Map<string, Limiter>();
  const limiterFor = (rule: RouteRateLimit): Limiter => {
    let l = limiters.get(rule.text);
    if (!l) {
      const common = {
        points: rule.limit,
        duration: rule.windowMs / 1000,
        keyPrefix: `${prefix}:${rule.text}`,
      };
      l = new rlf.RateLimiterRedis({
        ...common,
        storeClient: client,
        insuranceLimiter: new rlf.RateLimiterMemory(common),
      }) as unknown as Limiter;
      limiters.set(rule.text, l);
    }
    return l;
  };
  return {
    async consume(key, rule) {
      let res: Res;
      let allowed = true;
      try {
        res = await limiterFor(rule).consume(key);
      } catch (rejected) {
        if (rejected instanceof Error) throw rejected;
        res = rejected as Res;
        allowed = false;
      }
      return {
        allowed,
        limit: rule.limit,
        remaining: Math.max(0, res.remainingPoints),
        resetMs: res.msBeforeNext,
      };
    },
    async close() {
      if (owned) await (client as { quit(): Promise<unknown> }).quit();
    },
  };
}

export async function createRateLimitStore(
  opts: RateLimitOptions | undefined,
  clock?: { now(): number },
): Promise<RateLimitStore> {
  if (opts?.store) return opts.store;
  if (opts?.redis)
    return redisStore({ redis: opts.redis, ...(opts.keyPrefix ? { keyPrefix: opts.keyPrefix } : {}) });
  return memoryStore(clock);
}

/** IETF RateLimit header fields, plus Retry-After when refused. */
export function rateLimitHeaders(d: RateDecision, rule: RouteRateLimit): Record<string, string> {
  const reset = Math.max(0, Math.ceil(d.resetMs / 1000));
  const headers: Record<string, string> = {
    'ratelimit-limit': String(d.limit),
    'ratelimit-remaining': String(d.remaining),
    'ratelimit-reset': String(reset),
    'ratelimit-policy': `${rule.limit};w=${rule.windowMs / 1000}`,
  };
  if (!d.allowed) headers['retry-after'] = String(Math.max(1, reset));
  return headers;
}
