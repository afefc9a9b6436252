import { hash as digest } from 'node:crypto';
import { AppError, can } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { OrgContext, Principal } from '../actor.js';
import { Lru } from './key-cache.js';

/**
 * Who may call the verification API, remembered for one second. Verification is the hottest
 * route there is (an app asks on every request it cannot answer from its own cache), and without
 * this each call would cost two database round trips before the key is even looked at.
 *
 * Why a short TTL rather than event-driven invalidation: the caller's standing depends on tokens,
 * memberships, roles and service accounts, owned by other services. One second bounds staleness
 * for all of them at once, and matches SPEC 2's revocation goal (under a second) for credentials.
 * Expiry is still checked against the clock on every hit, and failures are never cached.
 */
const TTL_MS = 1_000;
const MAX_ENTRIES = 10_000;

type Timed<T> = { value: T; until: number };

export type CallerCache = ReturnType<typeof createCallerCache>;

export function createCallerCache(deps: {
  authenticate(token: string): Promise<Principal>;
  resolveOrg(principal: Principal, orgId: string): Promise<OrgContext>;
  clock: Clock;
}) {
  const principals = new Lru<Timed<Principal>>(MAX_ENTRIES);
  const orgs = new Lru<Timed<boolean>>(MAX_ENTRIES);
  const inflight = new Map<string, Promise<unknown>>();

  /** Concurrent misses for one key share one load, so an expiring entry does not stampede. */
  function load<T>(cache: Lru<Timed<T>>, key: string, fn: () => Promise<T>): Promise<T> {
    const running = inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = fn()
      .then((value) => {
        cache.set(key, { value, until: performance.now() + TTL_MS });
        return value;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  }

  return {
    /** A drop-in for tokens.authenticate on the verification route; synchronous on a hit. */
    authenticate(token: string): Principal | Promise<Principal> {
      const key = `t:${digest('sha256', token, 'base64')}`;
      const hit = principals.get(key);
      if (hit && hit.until > performance.now()) {
        const expiresAt = hit.value.credential.expiresAt;
        // An expired credential falls through, so the real check phrases the error.
        if (!expiresAt || expiresAt > deps.clock.now()) return hit.value;
      }
      return load(principals, key, () => deps.authenticate(token));
    },

    /** May the caller read API keys in this org? Not being a member is a plain no here, not an error. */
    mayReadKeysIn(principal: Principal, orgId: string): boolean | Promise<boolean> {
      const key = `o:${principal.credential.id}:${orgId}`;
      const hit = orgs.get(key);
      if (hit && hit.until > performance.now()) return hit.value;
      return load(orgs, key, async () => {
        try {
          return can((await deps.resolveOrg(principal, orgId)).permissions, 'api_keys:read');
        } catch (err) {
          if (err instanceof AppError && err.code === 'NOT_FOUND') return false;
          throw err;
        }
      });
    },
  };
}
