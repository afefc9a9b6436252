import { hash as digest } from 'node:crypto';
import {
  type Manifest,
  parseToken,
  scopeCovers,
  TOKEN_PREFIXES,
  type VerifyCode,
  type VerifyResult,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import type { BusEvent, EventBus } from '../../store/notify.js';
import type { Principal } from '../actor.js';
import * as repo from './api-keys.repo.js';
import type { CallerCache } from './caller-cache.js';
import { type Found, KeyCache, type KeyRecord, Lru } from './key-cache.js';
import type { LastUsedRecorder } from './last-used.js';

export const DEFAULT_CACHE_ENTRIES = 100_000;

/** A value now, or later: cache hits stay synchronous all the way to the response. */
export type Maybe<T> = T | Promise<T>;

function then<T, U>(value: Maybe<T>, next: (v: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

const PLATFORM_PREFIXES = new Set<string>(Object.values(TOKEN_PREFIXES));

export type VerifyInput = { key: string; environment?: string | undefined; scope?: string | undefined };
/** Where the answer may come from: a project (the project route) or any org the caller can read keys in. */
export type VerifyWithin = { projectId: string } | { principal: Principal };

const NOTHING: Omit<VerifyResult, 'valid' | 'code'> = {
  keyId: null,
  name: null,
  scope: null,
  grants: null,
  environment: null,
  metadata: null,
  expiresAt: null,
  rotatingUntil: null,
};
const MALFORMED: VerifyResult = { valid: false, code: 'MALFORMED', ...NOTHING };
const NOT_FOUND: VerifyResult = { valid: false, code: 'NOT_FOUND', ...NOTHING };

function toRecord(row: repo.VerifyRow): KeyRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    projectId: row.project_id,
    environmentId: row.environment_id,
    environment: row.environment,
    name: row.name,
    scope: row.scope,
    metadata: row.metadata ?? {},
    expiresAt: row.expires_at?.getTime() ?? null,
    revokedAt: row.revoked_at?.getTime() ?? null,
    previousExpiresAt: row.previous_expires_at?.getTime() ?? null,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type Verifier = ReturnType<typeof createVerifier>;

/**
 * Verification: format and checksum first (no I/O), then the in-memory cache, then one indexed
 * SELECT. It never writes on the request's path; last-used goes through the coalescing recorder.
 * Other nodes' changes arrive over LISTEN/NOTIFY (store/notify.ts); this node's own changes are
 * also evicted synchronously by the service, so a revoke answered here is honoured here at once.
 */
export function createVerifier(deps: {
  db: Db;
  clock: Clock;
  bus: EventBus | undefined;
  callers: CallerCache;
  lastUsed: LastUsedRecorder;
  cacheEntries: number;
  currentManifest(environmentId: string): Promise<Manifest | null>;
}) {
  const { db, clock, callers, lastUsed } = deps;
  const keys = new KeyCache(deps.cacheEntries);
  // Manifests are few and change rarely: cached whenever the bus is up, even with the key cache off.
  const manifests = new Lru<{ manifest: Manifest | null }>(10_000);
  let manifestEpoch = 0;
  let listening = false;
  const inflight = new Map<string, { epoch: number; promise: Promise<Found | null> }>();

  function setEnabled(on: boolean) {
    keys.clear();
    manifests.clear();
    manifestEpoch++;
    listening = on;
    keys.enabled = on && deps.cacheEntries > 0;
  }

  deps.bus?.subscribe({
    event(event: BusEvent) {
      if (event.kind.startsWith('api_key.') && Array.isArray(event.hashes))
        keys.evict(event.hashes as string[]);
      else if (event.kind === 'manifest.changed' && typeof event.environmentId === 'string') {
        manifestEpoch++;
        manifests.delete(event.environmentId);
      }
    },
    reset: (connected) => setEnabled(connected),
  });
  // Without a bus nothing would ever evict, so nothing is cached.
  setEnabled(deps.bus?.connected ?? false);

  function lookup(hex: string): Maybe<Found | null> {
    const cached = keys.get(hex);
    if (cached !== undefined) return cached;
    // A load that began before an eviction may hold the old row: join only loads of this epoch.
    const running = inflight.get(hex);
    if (running && running.epoch === keys.epoch) return running.promise;
    const epoch = keys.epoch;
    const hash = Buffer.from(hex, 'hex');
    const promise = repo
      .findByHash(db, hash)
      .then((row) => {
        const found = row ? { record: toRecord(row), previous: !row.key_hash.equals(hash) } : null;
        keys.set(hex, found, epoch);
        return found;
      })
      .finally(() => {
        if (inflight.get(hex)?.promise === promise) inflight.delete(hex);
      });
    inflight.set(hex, { epoch, promise });
    return promise;
  }

  function manifestOf(environmentId: string): Maybe<Manifest | null> {
    if (listening) {
      const hit = manifests.get(environmentId);
      if (hit) return hit.manifest;
    }
    const epoch = manifestEpoch;
    return deps.currentManifest(environmentId).then((manifest) => {
      if (listening && epoch === manifestEpoch) manifests.set(environmentId, { manifest });
      return manifest;
    });
  }

  function answer(code: VerifyCode, r: KeyRecord, grants: VerifyResult['grants'], now: number): VerifyResult {
    return {
      valid: code === 'VALID',
      code,
      keyId: r.id,
      name: r.name,
      scope: r.scope,
      grants,
      environment: r.environment,
      metadata: r.metadata,
      expiresAt: iso(r.expiresAt),
      rotatingUntil:
        r.revokedAt === null && r.previousExpiresAt !== null && r.previousExpiresAt > now
          ? iso(r.previousExpiresAt)
          : null,
    };
  }

  function mayRead(within: VerifyWithin, r: KeyRecord): Maybe<boolean> {
    if ('projectId' in within) return within.projectId === r.projectId;
    return callers.mayReadKeysIn(within.principal, r.orgId);
  }

  /** The checks once the key is known and the caller may see it. */
  function decide(input: VerifyInput, found: Found): Maybe<VerifyResult> {
    const r = found.record;
    const now = clock.now().getTime();
    if (r.revokedAt !== null) return answer('REVOKED', r, null, now);
    if (r.expiresAt !== null && r.expiresAt <= now) return answer('EXPIRED', r, null, now);
    if (found.previous && (r.previousExpiresAt === null || r.previousExpiresAt <= now)) {
      return answer('EXPIRED', r, null, now);
    }
    lastUsed.touch(r.id);
    return then(manifestOf(r.environmentId), (manifest) => {
      const scopes = manifest?.apiKeys?.scopes;
      const grants = scopes && Object.hasOwn(scopes, r.scope) ? (scopes[r.scope]?.grants ?? null) : null;
      if (input.environment !== undefined && input.environment !== r.environment) {
        return answer('WRONG_ENVIRONMENT', r, grants, now);
      }
      if (input.scope !== undefined && !(manifest && scopeCovers(manifest, r.scope, input.scope))) {
        return answer('INSUFFICIENT_SCOPE', r, grants, now);
      }
      return answer('VALID', r, grants, now);
    });
  }

  return {
    /**
     * Synchronous when everything is cached (no promise, no microtask: this is the hot path);
     * a promise when the key, the caller's standing or the manifest has to be loaded.
     */
    verify(input: VerifyInput, within: VerifyWithin): Maybe<VerifyResult> {
      const parsed = parseToken(input.key);
      if (!parsed) return MALFORMED;
      // A platform credential is never an app key; no need to look it up.
      if (PLATFORM_PREFIXES.has(parsed.prefix)) return NOT_FOUND;
      // One-shot SHA-256 straight to hex (about 2× createHash here); the Buffer is only needed on a miss.
      const hex = digest('sha256', input.key, 'hex');
      return then(lookup(hex), (found) => {
        // Someone else's key answers exactly like a key that does not exist.
        if (!found) return NOT_FOUND;
        return then(mayRead(within, found.record), (ok) => (ok ? decide(input, found) : NOT_FOUND));
      });
    },

    /** This node's own changes: evicted before the change is answered, not when NOTIFY comes back. */
    evict(hashes: Buffer[]): void {
      keys.evict(hashes.map((h) => h.toString('hex')));
    },

    cacheSize: () => keys.size,
  };
}
