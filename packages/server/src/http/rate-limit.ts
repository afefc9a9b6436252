import { AppError } from '@latchkey/core';
import type { FastifyReply } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitRule, ServerConfig } from '../config.js';

export type Limiter = {
  /** Spends `points`; throws RATE_LIMITED (429 with Retry-After) when the budget is gone. */
  consume(key: string, reply?: FastifyReply, points?: number): Promise<void>;
  /** Spends without throwing: for counting failures (wrong codes, wrong passwords). */
  penalize(key: string, points?: number): Promise<void>;
  /** Throws when the budget is already spent, without spending. */
  check(key: string): Promise<void>;
  reset(key: string): Promise<void>;
};

function limited(res: RateLimiterRes, what: string): AppError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', `Too many ${what}. Try again in ${seconds} s.`, {
    hint: 'Slow down; the limit resets on its own.',
    retryAfterSeconds: seconds,
  });
}

export function createLimiter(name: string, rule: RateLimitRule, what: string): Limiter {
  const limiter = new RateLimiterMemory({ keyPrefix: name, points: rule.points, duration: rule.durationSeconds });
  return {
    async consume(key, reply, points = 1) {
      try {
        const res = await limiter.consume(key, points);
        reply?.header('RateLimit-Limit', rule.points);
        reply?.header('RateLimit-Remaining', res.remainingPoints);
        reply?.header('RateLimit-Reset', Math.ceil(res.msBeforeNext / 1000));
      } catch (err) {
        if (err instanceof RateLimiterRes) throw limited(err, what);
        throw err;
      }
    },
    async penalize(key, points = 1) {
      await limiter.penalty(key, points);
    },
    async check(key) {
      const res = await limiter.get(key);
      if (res && res.consumedPoints >= rule.points) throw limited(res, what);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

export type Limiters = ReturnType<typeof createLimiters>;

export function createLimiters(config: ServerConfig) {
  const r = config.rateLimits;
  return {
    perIp: createLimiter('ip', r.perIp, 'requests from this address'),
    perCredential: createLimiter('cred', r.perCredential, 'requests with this credential'),
    signIn: createLimiter('signin', r.signIn, 'sign-in attempts'),
    deviceCodeEntry: createLimiter('devcode', r.deviceCodeEntry, 'wrong device codes'),
    tokenEndpoint: createLimiter('token', r.tokenEndpoint, 'token requests'),
  };
}
