import { AppError } from '@latchkey/core';
import type { FastifyReply } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitRule, ServerConfig } from '../config.js';

export type Limiter = {
  /** Spends `points`; throws RATE_LIMITED (429 with Retry-After) when the budget is gone. */
  consume(key: string, reply?: FastifyReply, points?: number): Promise<void>;
  /** Gives back points taken by `consume` (a guess that turned out right). */
  refund(key: string, points?: number): Promise<void>;
  reset(key: string): Promise<void>;
  /** Requests refused so far (read by /metrics). */
  readonly rejected: number;
};

function limited(res: RateLimiterRes, what: string): AppError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', `Too many ${what}. Try again in ${seconds} s.`, {
    hint: 'Slow down; the limit resets on its own.',
    retryAfterSeconds: seconds,
  });
}

export function createLimiter(name: string, rule: RateLimitRule, what: string): Limiter {
  const limiter = new RateLimiterMemory({
    keyPrefix: name,
    points: rule.points,
    duration: rule.durationSeconds,
  });
  const self = {
    rejected: 0,
    async consume(key: string, reply?: FastifyReply, points = 1) {
      try {
        const res = await limiter.consume(key, points);
        reply?.header('ratelimit-policy', `"${name}";q=${rule.points};w=${rule.durationSeconds}`);
        reply?.header(
          'ratelimit',
          `"${name}";r=${res.remainingPoints};t=${Math.ceil(res.msBeforeNext / 1000)}`,
        );
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          self.rejected++;
          throw limited(err, what);
        }
        throw err;
      }
    },
    async refund(key: string, points = 1) {
      await limiter.reward(key, points);
    },
    async reset(key: string) {
      await limiter.delete(key);
    },
  };
  return self;
}

/** The global per-request limiters: synchronous, so the common path never waits on a promise. */
export type SyncLimiter = {
  /**
   * Spends `points`; throws RATE_LIMITED (429 with Retry-After) when the budget is gone. `now`:
   * epoch ms, when the caller already read the clock for this request.
   */
  consume(key: string, reply?: FastifyReply, points?: number, now?: number): void;
  reset(key: string): void;
  /** Requests refused so far: a plain number, read by /metrics, so counting costs nothing. */
  readonly rejected: number;
};

type Window = { used: number; resetAt: number };

/**
 * A fixed window per key, like RateLimiterMemory's (the window starts at the key's first request
 * and lasts `durationSeconds`), kept in a Map. Expired windows are swept at most once per window
 * length, so memory stays bounded by the keys seen in the last two windows.
 *
 * Answers carry the IETF RateLimit field (draft-ietf-httpapi-ratelimit-headers), what is left:
 * `RateLimit: "credential";r=1187;t=42`. The policy itself (`RateLimit-Policy:
 * "credential";q=1200;w=60`) comes with the 429, where a client needs it: one header fewer on
 * every other answer, and this runs on every request.
 */
export function createSyncLimiter(rule: RateLimitRule, what: string, name: string): SyncLimiter {
  const policy = `"${name}";q=${rule.points};w=${rule.durationSeconds}`;
  const remaining = `"${name}";r=`;
  const windows = new Map<string, Window>();
  const durationMs = rule.durationSeconds * 1000;
  let nextSweep = Date.now() + durationMs;
  function sweep(now: number) {
    nextSweep = now + durationMs;
    for (const [key, w] of windows) if (w.resetAt <= now) windows.delete(key);
  }
  const self = {
    rejected: 0,
    consume(key: string, reply?: FastifyReply, points = 1, now = Date.now()) {
      if (now >= nextSweep) sweep(now);
      let w = windows.get(key);
      if (w === undefined || w.resetAt <= now) {
        w = { used: 0, resetAt: now + durationMs };
        windows.set(key, w);
      }
      w.used += points;
      const msBeforeNext = w.resetAt - now;
      if (w.used > rule.points) {
        self.rejected++;
        const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
        if (reply) {
          reply.header('ratelimit-policy', policy);
          reply.header('ratelimit', `${remaining}0;t=${seconds}`);
        }
        throw new AppError('RATE_LIMITED', `Too many ${what}. Try again in ${seconds} s.`, {
          hint: 'Slow down; the limit resets on its own.',
          retryAfterSeconds: seconds,
        });
      }
      // A lower-case name: Fastify lower-cases every name it is given.
      if (reply)
        reply.header('ratelimit', `${remaining}${rule.points - w.used};t=${Math.ceil(msBeforeNext / 1000)}`);
    },
    reset(key: string) {
      windows.delete(key);
    },
  };
  return self;
}

export type Limiters = ReturnType<typeof createLimiters>;

export function createLimiters(config: ServerConfig) {
  const r = config.rateLimits;
  return {
    // Every request passes these two: synchronous, in memory.
    perIp: createSyncLimiter(r.perIp, 'requests from this address', 'address'),
    perCredential: createSyncLimiter(r.perCredential, 'requests with this credential', 'credential'),
    // The strict limits on guessable secrets stay on rate-limiter-flexible.
    signIn: createLimiter('signin', r.signIn, 'sign-in attempts'),
    deviceCodeEntry: createLimiter('devcode', r.deviceCodeEntry, 'wrong device codes'),
    tokenEndpoint: createLimiter('token', r.tokenEndpoint, 'token requests'),
  };
}
