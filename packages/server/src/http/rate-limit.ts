import { AppError } from '@latchkey/core';
import type { FastifyReply } from 'fastify';
import type { Clock } from '../clock.js';
import type { RateLimitRule } from '../config.js';

export type Limiter = {
  /** Spends `points`; throws RATE_LIMITED (429 with Retry-After) when the budget is gone. */
  consume(key: string, reply?: FastifyReply, points?: number): Promise<void>;
  /** Gives back points taken by `consume` (a guess that turned out right). */
  refund(key: string, points?: number): Promise<void>;
  reset(key: string): Promise<void>;
  /** Requests refused so far (read by /metrics). */
  readonly rejected: number;
};

export function limited(msBeforeNext: number, what: string): AppError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', `Too many ${what}. Try again in ${seconds} s.`, {
    hint: 'Slow down; the limit resets on its own.',
    retryAfterSeconds: seconds,
  });
}

type Window = { used: number; resetAt: number };

/**
 * Fixed windows per key in a Map, on the injected clock (so tests move time instead of waiting):
 * a window starts at the key's first request and lasts `durationSeconds`. Expired windows are
 * swept at most once per window length, so memory stays bounded by the keys seen in the last two
 * windows.
 */
export function createWindows(rule: RateLimitRule) {
  const windows = new Map<string, Window>();
  const durationMs = rule.durationSeconds * 1000;
  let nextSweep = 0;
  return {
    /** The key's live window (made when there is none), after spending `points` on it. */
    spend(key: string, points: number, now: number): Window {
      if (now >= nextSweep) {
        nextSweep = now + durationMs;
        for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
      }
      let w = windows.get(key);
      if (w === undefined || w.resetAt <= now) {
        w = { used: 0, resetAt: now + durationMs };
        windows.set(key, w);
      }
      w.used += points;
      return w;
    },
    peek(key: string, now: number): Window | undefined {
      const w = windows.get(key);
      return w !== undefined && w.resetAt > now ? w : undefined;
    },
    delete(key: string): void {
      windows.delete(key);
    },
  };
}

/** The strict limits on guessable secrets (sign-in, device codes, the token endpoint). */
export function createLimiter(name: string, rule: RateLimitRule, what: string, clock: Clock): Limiter {
  const windows = createWindows(rule);
  const self = {
    rejected: 0,
    async consume(key: string, reply?: FastifyReply, points = 1) {
      const now = clock.now().getTime();
      const w = windows.spend(key, points, now);
      if (w.used > rule.points) {
        self.rejected++;
        throw limited(w.resetAt - now, what);
      }
      reply?.header('ratelimit-policy', `"${name}";q=${rule.points};w=${rule.durationSeconds}`);
      reply?.header(
        'ratelimit',
        `"${name}";r=${rule.points - w.used};t=${Math.ceil((w.resetAt - now) / 1000)}`,
      );
    },
    async refund(key: string, points = 1) {
      const w = windows.peek(key, clock.now().getTime());
      if (w) w.used = Math.max(0, w.used - points);
    },
    async reset(key: string) {
      windows.delete(key);
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

/**
 * Answers carry the IETF RateLimit field (draft-ietf-httpapi-ratelimit-headers), what is left:
 * `RateLimit: "credential";r=1187;t=42`. The policy itself (`RateLimit-Policy:
 * "credential";q=1200;w=60`) comes with the 429, where a client needs it: one header fewer on
 * every other answer, and this runs on every request.
 */
export function createSyncLimiter(
  rule: RateLimitRule,
  what: string,
  name: string,
  clock: Clock,
): SyncLimiter {
  const policy = `"${name}";q=${rule.points};w=${rule.durationSeconds}`;
  const remaining = `"${name}";r=`;
  const windows = createWindows(rule);
  const self = {
    rejected: 0,
    consume(key: string, reply?: FastifyReply, points = 1, now = clock.now().getTime()) {
      const w = windows.spend(key, points, now);
      const msBeforeNext = w.resetAt - now;
      if (w.used > rule.points) {
        self.rejected++;
        const err = limited(msBeforeNext, what);
        if (reply) {
          reply.header('ratelimit-policy', policy);
          reply.header('ratelimit', `${remaining}0;t=${err.retryAfterSeconds}`);
        }
        throw err;
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
