import type { FastifyReply } from 'fastify';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../clock.js';
import type { RateLimitRule } from '../config.js';
import type { LimitStore } from './limit-store.js';
import { createWindows, type Limiter, limited, type SyncLimiter } from './rate-limit.js';

function remoteLimiter(store: LimitStore, name: string, rule: RateLimitRule) {
  return new RateLimiterRedis({
    storeClient: store.redis,
    keyPrefix: `${store.prefix}${name}`,
    points: rule.points,
    duration: rule.durationSeconds,
    rejectIfRedisNotReady: true,
  });
}

/**
 * The strict limits (sign-in, device codes, token endpoint) in Redis: one atomic increment per
 * attempt, so N nodes share one budget exactly. These run a few times per sign-in, never on the
 * hot path, so the round trip is affordable. Redis windows run on Redis' clock, not the injected one.
 */
export function createSharedLimiter(
  name: string,
  rule: RateLimitRule,
  what: string,
  clock: Clock,
  store: LimitStore,
): Limiter {
  const remote = remoteLimiter(store, name, rule);
  const fallback = createWindows(rule);
  const headers = (reply: FastifyReply | undefined, left: number, ms: number) => {
    reply?.header('ratelimit-policy', `"${name}";q=${rule.points};w=${rule.durationSeconds}`);
    reply?.header('ratelimit', `"${name}";r=${Math.max(0, left)};t=${Math.ceil(ms / 1000)}`);
  };
  const self = {
    rejected: 0,
    async consume(key: string, reply?: FastifyReply, points = 1) {
      let res: RateLimiterRes;
      try {
        res = await remote.consume(key, points);
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          self.rejected++;
          throw limited(err.msBeforeNext, what);
        }
        store.failed(err);
        // Never looser than the shared limit: this node's share of it, from its own memory.
        const share = store.fallbackShare(rule.points);
        const now = clock.now().getTime();
        const w = fallback.spend(key, points, now);
        if (w.used > share) {
          self.rejected++;
          throw limited(w.resetAt - now, what);
        }
        return headers(reply, share - w.used, w.resetAt - now);
      }
      headers(reply, res.remainingPoints, res.msBeforeNext);
    },
    async refund(key: string, points = 1) {
      try {
        await remote.reward(key, points);
      } catch (err) {
        store.failed(err);
      }
      const w = fallback.peek(key, clock.now().getTime());
      if (w) w.used = Math.max(0, w.used - points);
    },
    async reset(key: string) {
      fallback.delete(key);
      await remote.delete(key).catch((err) => store.failed(err));
    },
  };
  return self;
}

type Counter = {
  /** What Redis said the window holds, this node's points included, at the last answer. */
  global: number;
  /** Points sent to Redis whose answer has not come back. */
  inflight: number;
  /** Points spent here and not sent yet. */
  pending: number;
  /** Everything this node spent in the window: what the fallback share is checked against. */
  local: number;
  resetAt: number;
};

const FLUSH_MS = 50;

/**
 * The per-request limits (per address, per credential) shared through Redis without a round trip
 * on the request path: a node decides synchronously from the cluster's count as of its last
 * answer from Redis plus what it spent since, and sends what it spent in the background: at once
 * when a key has spent 1% of its limit here, otherwise within 50 ms. A node therefore learns what
 * the others spent only when it next hears from Redis, so the cluster can overshoot a limit by up
 * to 1% of it per node, or 50 ms of a node's traffic on a key, whichever is smaller. While Redis
 * is unreachable each node enforces its share (limit / nodes) of what it spent itself.
 */
export function createSharedSyncLimiter(
  rule: RateLimitRule,
  what: string,
  name: string,
  clock: Clock,
  store: LimitStore,
): SyncLimiter & { close(): void } {
  const remote = remoteLimiter(store, name, rule);
  const policy = `"${name}";q=${rule.points};w=${rule.durationSeconds}`;
  const remaining = `"${name}";r=`;
  const durationMs = rule.durationSeconds * 1000;
  const sendAt = Math.max(1, Math.floor(rule.points / 100));
  const counters = new Map<string, Counter>();
  const dirty = new Set<string>();
  let nextSweep = 0;
  let timer: NodeJS.Timeout | null = null;

  function counter(key: string, now: number): Counter {
    if (now >= nextSweep) {
      nextSweep = now + durationMs;
      for (const [k, c] of counters) if (c.resetAt <= now && c.inflight === 0) counters.delete(k);
    }
    let c = counters.get(key);
    if (c === undefined || c.resetAt <= now) {
      c = { global: 0, inflight: 0, pending: 0, local: 0, resetAt: now + durationMs };
      counters.set(key, c);
    }
    return c;
  }

  function send(key: string, c: Counter): void {
    const delta = c.pending;
    if (delta === 0) return;
    c.pending = 0;
    c.inflight += delta;
    // One connection answers in order, so an answer counts every earlier send of this node.
    remote.penalty(key, delta).then(
      (res) => {
        c.inflight -= delta;
        c.global = res.consumedPoints;
        c.resetAt = clock.now().getTime() + res.msBeforeNext;
      },
      (err) => {
        c.inflight -= delta;
        store.failed(err);
      },
    );
  }

  function flush(): void {
    timer = null;
    for (const key of dirty) {
      const c = counters.get(key);
      if (c) send(key, c);
    }
    dirty.clear();
  }

  const self = {
    rejected: 0,
    consume(key: string, reply?: FastifyReply, points = 1, now = clock.now().getTime()) {
      const c = counter(key, now);
      c.pending += points;
      c.local += points;
      const used = c.global + c.inflight + c.pending;
      if (c.pending >= sendAt) send(key, c);
      else {
        dirty.add(key);
        if (timer === null) {
          timer = setTimeout(flush, FLUSH_MS);
          timer.unref();
        }
      }
      const limit = store.up ? rule.points : Math.min(rule.points, store.fallbackShare(rule.points));
      const spent = store.up ? used : Math.max(used, c.local);
      const msBeforeNext = c.resetAt - now;
      if (spent > limit) {
        self.rejected++;
        const err = limited(msBeforeNext, what);
        if (reply) {
          reply.header('ratelimit-policy', policy);
          reply.header('ratelimit', `${remaining}0;t=${err.retryAfterSeconds}`);
        }
        throw err;
      }
      if (reply)
        reply.header('ratelimit', `${remaining}${limit - spent};t=${Math.ceil(msBeforeNext / 1000)}`);
    },
    reset(key: string) {
      counters.delete(key);
      remote.delete(key).catch((err) => store.failed(err));
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
  return self;
}
