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
 *
 * During a database outage (the refresh fails with anything but an answer, i.e. not an AppError),
 * an entry past its second is still used for up to `outageGraceMs` after it went stale, so cached
 * verifications keep answering; that is the bound on how stale a caller's standing can get.
 */
const TTL_MS = 1_000;
/**
 * In the last part of its second an entry still answers and a refresh starts in the background,
 * so a caller that keeps verifying never waits for its own standing to be read again (every
 * second, all its requests in flight would). What is served is still at most TTL_MS old.
 */
const REFRESH_AHEAD_MS = 250;
const MAX_ENTRIES = 10_000;
const MAX_ORGS_PER_CALLER = 64;

type Timed<T> = { value: T; until: number };

export type CallerCache = ReturnType<typeof createCallerCache>;

export function createCallerCache(deps: {
  authenticate(token: string): Promise<Principal>;
  resolveOrg(principal: Principal, orgId: string): Promise<OrgContext>;
  clock: Clock;
  outageGraceMs?: number;
  /** True while this node knows the database is in trouble (its listener is away). */
  inOutage?: () => boolean;
}) {
  const graceMs = deps.outageGraceMs ?? 0;
  /**
   * During a known outage a stale entry answers at once and is refreshed in the background:
   * under a partition each refresh waits for the query timeout, which must not hold every
   * verification.
   */
  function staleNow<T>(stale: Timed<T> | undefined, refresh: () => Promise<T>): stale is Timed<T> {
    if (stale === undefined || graceMs <= 0 || !deps.inOutage?.()) return false;
    if (deps.clock.now().getTime() - stale.until >= graceMs) return false;
    refresh().catch(() => {});
    return true;
  }
  /** The refresh failed to reach the database: a recent enough stale entry answers instead. */
  function staleOnOutage<T>(promise: Promise<T>, stale: Timed<T> | undefined, ok: (e: Timed<T>) => boolean) {
    if (stale === undefined || graceMs <= 0) return promise;
    return promise.catch((err) => {
      if (err instanceof AppError || !ok(stale)) throw err;
      if (deps.clock.now().getTime() - stale.until >= graceMs) throw err;
      return stale.value;
    });
  }
  // Keyed by the token's SHA-256, never the token: a memory dump holds no usable credential.
  const principals = new Lru<Timed<Principal>>(MAX_ENTRIES);
  // Keyed by the cached principal object itself (then by org): nothing to build or hash per call,
  // and the entries go with the principal.
  const standing = new WeakMap<Principal, Map<string, Timed<boolean>>>();
  const inflight = new Map<unknown, Promise<unknown>>();
  // The last credential each keep-alive connection presented, with its cache entry: an app sends
  // the same header on every request, and comparing it with the last one is far cheaper than
  // hashing it. It lives only as long as the connection, which carries that token anyway.
  const connections = new WeakMap<object, { token: string; entry: Timed<Principal> }>();

  /** Concurrent misses for one key share one load, so an expiring entry does not stampede. */
  function load<T>(key: unknown, fn: () => Promise<T>, store: (entry: Timed<T>) => void): Promise<T> {
    const running = inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = fn()
      .then((value) => {
        store({ value, until: deps.clock.now().getTime() + TTL_MS });
        return value;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  }

  /** Fresh, and not expired: an expired credential falls through, so the real check phrases the error. */
  function usable(entry: Timed<Principal>): boolean {
    // One clock read for both checks: the TTL and the credential's own expiry.
    const now = deps.clock.now().getTime();
    if (entry.until <= now) return false;
    return notExpired(entry, now);
  }

  function dueSoon(entry: Timed<unknown>): boolean {
    return entry.until - deps.clock.now().getTime() < REFRESH_AHEAD_MS;
  }

  /**
   * The caller's principal read again. Its standing in orgs carries over to the new principal
   * object: each of those entries keeps its own second, so nothing is served older than before.
   */
  function refreshPrincipal(token: string, key: string): Promise<Principal> {
    return load(
      key,
      () => deps.authenticate(token),
      (entry) => {
        const before = principals.get(key)?.value;
        principals.set(key, entry);
        const orgs = before === undefined ? undefined : standing.get(before);
        if (orgs !== undefined && before?.credential.id === entry.value.credential.id)
          standing.set(entry.value, orgs);
      },
    );
  }

  function notExpired(entry: Timed<Principal>, now = deps.clock.now().getTime()): boolean {
    const expiresAt = entry.value.credential.expiresAt;
    return expiresAt === null || expiresAt.getTime() > now;
  }

  return {
    /**
     * A drop-in for tokens.authenticate on the verification route; synchronous on a hit.
     * `connection`: the request's socket, so a keep-alive caller skips even the hashing.
     */
    authenticate(token: string, connection?: object): Principal | Promise<Principal> {
      const last = connection === undefined ? undefined : connections.get(connection);
      if (last !== undefined && last.token === token && usable(last.entry)) {
        if (dueSoon(last.entry)) refreshPrincipal(token, digest('sha256', token, 'base64')).catch(() => {});
        return last.entry.value;
      }
      const key = digest('sha256', token, 'base64');
      const hit = principals.get(key);
      if (hit !== undefined && usable(hit)) {
        if (connection !== undefined) connections.set(connection, { token, entry: hit });
        if (dueSoon(hit)) refreshPrincipal(token, key).catch(() => {});
        return hit.value;
      }
      const refresh = () => refreshPrincipal(token, key);
      if (hit !== undefined && notExpired(hit) && staleNow(hit, refresh)) return hit.value;
      return staleOnOutage(refresh(), hit, (e) => notExpired(e));
    },

    /** May the caller read API keys in this org? Not being a member is a plain no here, not an error. */
    mayReadKeysIn(principal: Principal, orgId: string): boolean | Promise<boolean> {
      const hit = standing.get(principal)?.get(orgId);
      if (hit !== undefined && hit.until > deps.clock.now().getTime()) {
        if (dueSoon(hit)) refresh().catch(() => {});
        return hit.value;
      }
      function refresh(): Promise<boolean> {
        return load(
          `${principal.credential.id}\n${orgId}`,
          async () => {
            try {
              return can((await deps.resolveOrg(principal, orgId)).permissions, 'api_keys:read');
            } catch (err) {
              if (err instanceof AppError && err.code === 'NOT_FOUND') return false;
              throw err;
            }
          },
          (entry) => {
            let orgs = standing.get(principal);
            if (orgs === undefined) {
              orgs = new Map();
              standing.set(principal, orgs);
            }
            // A caller checks a handful of orgs; a flood of them is not kept.
            if (orgs.size >= MAX_ORGS_PER_CALLER) orgs.clear();
            orgs.set(orgId, entry);
          },
        );
      }
      if (staleNow(hit, refresh)) return hit.value;
      return staleOnOutage(refresh(), hit, () => true);
    },
  };
}
