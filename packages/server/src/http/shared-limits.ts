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
/** Keys per script call: one call holds Redis for well under a millisecond. */
const BATCH_KEYS = 1000;

/**
 * The per-request limits (per address, per credential) shared through Redis without a round trip
 * on the request path: a node decides synchronously from the cluster's count as of its last
 * answer from Redis plus what it spent since, and sends what it spent in the background: at once
 * when a key has spent 1% of its limit here, otherwise within 50 ms, every key spent on in those
 * 50 ms together in one script call (a flood of new addresses is then one command per interval,
 * not one per address). A node therefore learns what the others spent only when it next hears
 * from Redis, so the cluster can overshoot a limit by up to 1% of it per node, or 50 ms of a
 * node's traffic on a key, whichever is smaller. A key Redis has answered for that stands under
 * 1% of its limit is forgotten here (Redis holds it), so a flood of new addresses holds memory
 * for one interval, not a whole window. While Redis is unreachable each node enforces its share
 * (limit / nodes) of what it spent itself.
 */
export function createSharedSyncLimiter(
  rule: RateLimitRule,
  what: string,
  name: string,
  clock: Clock,
  store: LimitStore,
): SyncLimiter & { close(): void } {
  // rate-limiter-flexible's key format, so a strict limiter of the same name would meet these.
  const keyPrefix = `${store.prefix}${name}:`;
  const policy = `"${name}";q=${rule.points};w=${rule.durationSeconds}`;
  const remaining = `"${name}";r=`;
  const durationMs = rule.durationSeconds * 1000;
  const sendAt = Math.max(1, Math.floor(rule.points / 100));
  const counters = new Map<string, Counter>();
  const dirty = new Map<string, Counter>();
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

  /** Sends the pending points of these counters (`names[i]` is `batch[i]`'s key) in one call. */
  function send(names: string[], batch: Counter[]): void {
    const deltas = batch.map((c) => {
      const delta = c.pending;
      c.pending = 0;
      c.inflight += delta;
      return delta;
    });
    // One connection answers in order, so an answer counts every earlier send of this node.
    store
      .incrementMany(
        names.map((n) => keyPrefix + n),
        deltas,
        rule.durationSeconds,
      )
      .then(
        (answer) => {
          const now = clock.now().getTime();
          for (let i = 0; i < batch.length; i++) {
            const c = batch[i]!;
            c.inflight -= deltas[i]!;
            c.global = answer[2 * i]!;
            c.resetAt = now + answer[2 * i + 1]!;
            // Settled, and under 1% of the limit across the cluster: Redis holds all there is to
            // know, so this node forgets it. Were it to come back, this node would start it from
            // zero again, short by less than 1% of the limit until its next answer: within the
            // bound above. A flood of new addresses then costs memory for 50 ms, not a window.
            if (c.pending === 0 && c.inflight === 0 && c.global < sendAt && counters.get(names[i]!) === c)
              counters.delete(names[i]!);
          }
        },
        (err) => {
          for (let i = 0; i < batch.length; i++) batch[i]!.inflight -= deltas[i]!;
          store.failed(err);
        },
      );
  }

  function flush(): void {
    timer = null;
    let keys: string[] = [];
    let batch: Counter[] = [];
    for (const [key, c] of dirty) {
      // Sent at once since it was marked, or reset: nothing left to send.
      if (c.pending === 0) continue;
      keys.push(key);
      batch.push(c);
      if (batch.length === BATCH_KEYS) {
        send(keys, batch);
        keys = [];
        batch = [];
      }
    }
    dirty.clear();
    if (batch.length) send(keys, batch);
  }

  const self = {
    rejected: 0,
    consume(key: string, reply?: FastifyReply, points = 1, now = clock.now().getTime()) {
      const c = counter(key, now);
      c.pending += points;
      c.local += points;
      const used = c.global + c.inflight + c.pending;
      if (c.pending >= sendAt) send([key], [c]);
      else {
        dirty.set(key, c);
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
      const c = counters.get(key);
      if (c) c.pending = 0;
      counters.delete(key);
      dirty.delete(key);
      store.redis.del(keyPrefix + key).catch((err) => store.failed(err));
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
  return self;
}
