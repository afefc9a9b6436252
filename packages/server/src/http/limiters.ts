import type { Clock } from '../clock.js';
import type { RateLimitRule, ServerConfig } from '../config.js';
import type { LimitStore } from './limit-store.js';
import { createLimiter, createSyncLimiter, type Limiter, type SyncLimiter } from './rate-limit.js';
import { createSharedLimiter, createSharedSyncLimiter } from './shared-limits.js';

export type Limiters = ReturnType<typeof createLimiters>;

/**
 * Without a store every limit lives in this node's memory. With one (REDIS_URL) every limit is
 * shared by the nodes: the strict ones exactly, the per-request ones in the background.
 */
export function createLimiters(config: ServerConfig, clock: Clock, store: LimitStore | null = null) {
  const r = config.rateLimits;
  const sync = (rule: RateLimitRule, what: string, name: string): SyncLimiter & { close?(): void } =>
    store
      ? createSharedSyncLimiter(rule, what, name, clock, store)
      : createSyncLimiter(rule, what, name, clock);
  const strict = (name: string, rule: RateLimitRule, what: string): Limiter =>
    store ? createSharedLimiter(name, rule, what, clock, store) : createLimiter(name, rule, what, clock);
  const perIp = sync(r.perIp, 'requests from this address', 'address');
  const perCredential = sync(r.perCredential, 'requests with this credential', 'credential');
  return {
    /** Epoch ms from the injected clock: what the guard reads once per request. */
    now: () => clock.now().getTime(),
    /** The shared store, when there is one (its state is in /metrics). */
    store,
    // Every request passes these two: synchronous, in memory (and sent to the store behind).
    perIp,
    perCredential,
    signIn: strict('signin', r.signIn, 'sign-in attempts'),
    deviceCodeEntry: strict('devcode', r.deviceCodeEntry, 'wrong device codes'),
    tokenEndpoint: strict('token', r.tokenEndpoint, 'token requests'),
    close() {
      perIp.close?.();
      perCredential.close?.();
    },
  };
}
