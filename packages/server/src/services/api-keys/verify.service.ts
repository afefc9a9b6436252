import { hash as digest } from 'node:crypto';
import {
  MALFORMED_ANSWER,
  type Manifest,
  NOT_FOUND_ANSWER,
  REFUSED_VERIFY_CODE,
  rotatingUntil,
  scopeCovers,
  secretState,
  TOKEN_PREFIXES,
  tokenPrefix,
  VERIFY_CODES,
  type VerifyCode,
  type VerifyResult,
} from '@latchkey/core';
import type { Pool } from 'pg';
import type { Clock } from '../../clock.js';
import { isPromise, type Maybe } from '../../maybe.js';
import type { BusEvent, EventBus } from '../../store/notify.js';
import type { Principal } from '../actor.js';
import type { LastUsedRecorder } from '../last-used.js';
import * as repo from './api-keys.repo.js';
import type { CallerCache } from './caller-cache.js';
import { type DecidedAnswer, type Found, KeyCache, type KeyRecord, Lru } from './key-cache.js';

export const DEFAULT_CACHE_ENTRIES = 100_000;
/** Cached verifications serve this long after the listener lost the database (LATCH_VERIFY_OUTAGE_GRACE). */
export const DEFAULT_OUTAGE_GRACE_MS = 5 * 60_000;
const MAX_ANSWERS_PER_KEY = 8;
/** Cache misses looked up in one statement at most; a bigger burst is split over pooled connections. */
const MAX_HASHES_PER_QUERY = 100;

const PLATFORM_PREFIXES = new Set<string>(Object.values(TOKEN_PREFIXES));

export type VerifyInput = { key: string; environment?: string | undefined; scope?: string | undefined };
/** Where the answer may come from: a project (the project route) or any org the caller can read keys in. */
export type VerifyWithin =
  | { projectId: string; principal?: undefined }
  | { principal: Principal; projectId?: undefined };

const MALFORMED = MALFORMED_ANSWER;
const NOT_FOUND = NOT_FOUND_ANSWER;

// What the verification cache keeps per key is most of its memory, and on a cache miss it is what
// survives the young generation (the garbage collector copies it twice before it settles): so the
// strings many keys share are kept once, an empty metadata is one shared object, and the usual
// question (no environment, no scope) has its own slot instead of a Map.
const EMPTY_METADATA: Record<string, string> = Object.freeze({});
const SHARED_STRINGS = 4_096;
let sharedStrings = new Map<string, string>();

/** One copy of an id or name many cached keys share (their org, project, environment, scope). */
function shared(value: string): string {
  const known = sharedStrings.get(value);
  if (known !== undefined) return known;
  if (sharedStrings.size >= SHARED_STRINGS) sharedStrings = new Map();
  sharedStrings.set(value, value);
  return value;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

const C = repo.VERIFY_COLUMN;

function toRecord(row: repo.VerifyRow): KeyRecord {
  const metadata = row[C.metadata];
  return {
    id: row[C.id],
    orgId: shared(row[C.orgId]),
    projectId: shared(row[C.projectId]),
    environmentId: shared(row[C.environmentId]),
    environment: shared(row[C.environment]),
    name: row[C.name],
    scope: shared(row[C.scope]),
    metadata: metadata === null || isEmpty(metadata) ? EMPTY_METADATA : metadata,
    expiresAt: row[C.expiresAt]?.getTime() ?? null,
    revokedAt: row[C.revokedAt]?.getTime() ?? null,
    previousExpiresAt: row[C.previousExpiresAt]?.getTime() ?? null,
  };
}

const entryOf = (row: repo.VerifyRow, previous: boolean): Found => ({
  record: toRecord(row),
  previous,
  answer: undefined,
  answers: undefined,
});

/** A request waiting for a cache miss's row: it is answered (and counted) when the row comes. */
type Waiter = {
  input: VerifyInput;
  within: VerifyWithin;
  resolve(result: Maybe<VerifyResult>): void;
  reject(err: unknown): void;
};
/** One secret being looked up, for the cache epoch it began in, and who waits for it. */
type Pending = { hashed: string; epoch: number; waiters: Waiter[] };
const hashBytes = (p: Pending) => Buffer.from(p.hashed, 'base64');

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type Verifier = ReturnType<typeof createVerifier>;

/**
 * Plain numbers, read by /metrics when scraped: counting costs an increment, not a labelled
 * prom-client call on the hot path. Cache hits and misses count key look-ups (a malformed or
 * platform secret is neither).
 */
export type VerifyStats = {
  outcomes: Record<VerifyCode, number>;
  cacheHits: number;
  cacheMisses: number;
  /** Statements the misses took (several misses of one event-loop turn share one). */
  missQueries: number;
};

function newStats(): VerifyStats {
  const outcomes = {} as Record<VerifyCode, number>;
  for (const code of VERIFY_CODES) outcomes[code] = 0;
  return { outcomes, cacheHits: 0, cacheMisses: 0, missQueries: 0 };
}

/**
 * Verification: format and checksum first (no I/O), then the in-memory cache, then one indexed
 * SELECT. It never writes on the request's path; last-used goes through the coalescing recorder.
 * Other nodes' changes arrive over LISTEN/NOTIFY (store/notify.ts); this node's own changes are
 * also evicted synchronously by the service, so a revoke answered here is honoured here at once.
 */
export function createVerifier(deps: {
  /** The database's verifyPool (store/db.ts): cache misses go there. */
  verifyPool: Pool;
  clock: Clock;
  bus: EventBus | undefined;
  callers: CallerCache;
  lastUsed: LastUsedRecorder;
  cacheEntries: number;
  /** How long cached answers keep serving after the listener lost the database (ms). */
  outageGraceMs: number;
  currentManifest(environmentId: string): Promise<Manifest | null>;
}) {
  const { verifyPool, clock, callers, lastUsed } = deps;
  const keys = new KeyCache(deps.cacheEntries);
  // Manifests are few and change rarely: cached whenever the bus is up, even with the key cache off.
  const manifests = new Lru<{ manifest: Manifest | null }>(10_000);
  let manifestEpoch = 0;
  // Caching starts once the bus has connected: before that no change could be heard. Afterwards
  // the cache outlives a lost listener for `outageGraceMs` (missed changes are read back from the
  // key-event log when it returns), then answers come from the database again, or not at all.
  let listening = false;
  let trusted = false;
  let staleSince: number | null = null;
  const inflight = new Map<string, Pending>();
  const stats = newStats();
  const counted = (result: VerifyResult) => {
    stats.outcomes[result.code]++;
    return result;
  };

  function dropAll() {
    keys.clear();
    manifests.clear();
    manifestEpoch++;
  }

  /** False once the listener has been away for longer than the grace: the cache is not served. */
  function cacheUsable(): boolean {
    if (!trusted) return false;
    if (staleSince === null) return true;
    if (clock.now().getTime() - staleSince < deps.outageGraceMs) return true;
    // Past the grace: stop serving, and keep nothing that was not re-read since.
    trusted = false;
    dropAll();
    return false;
  }

  function evictHashes(hashes: unknown) {
    if (Array.isArray(hashes))
      keys.evict(
        hashes
          .filter((h): h is string => typeof h === 'string')
          .map((hex) => Buffer.from(hex, 'hex').toString('base64')),
      );
  }

  deps.bus?.subscribe({
    event(event: BusEvent) {
      if (event.kind === 'sdk.key' || event.kind.startsWith('api_key.')) evictHashes(event.hashes);
      else if (event.kind === 'manifest.changed' && typeof event.environmentId === 'string') {
        manifestEpoch++;
        manifests.delete(event.environmentId);
      }
    },
    status(connected) {
      listening = connected;
      if (connected) {
        staleSince = null;
        trusted = true;
        keys.enabled = deps.cacheEntries > 0;
      } else staleSince ??= clock.now().getTime();
    },
    reset: dropAll,
  });
  keys.enabled = false;

  function setCaching() {
    keys.enabled = deps.cacheEntries > 0 && cacheUsable();
  }

  /**
   * The answer for a secret not in the cache. `hashed`: its SHA-256 in base64 (shorter than hex,
   * so cheaper to hash as a map key). A miss is the one promise of its request: the batch's
   * callback stores the row and answers its waiters directly (a chain of .then/.finally per miss
   * cost several promises and microtasks each, a real share of a miss's CPU).
   */
  function missed(hashed: string, input: VerifyInput, within: VerifyWithin): Promise<VerifyResult> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { input, within, resolve, reject };
      // A load that began before an eviction may hold the old row: join only loads of this epoch.
      const running = inflight.get(hashed);
      if (running !== undefined && running.epoch === keys.epoch) {
        running.waiters.push(waiter);
        return;
      }
      const pending: Pending = { hashed, epoch: keys.epoch, waiters: [waiter] };
      inflight.set(hashed, pending);
      if (queued.length === 0) setImmediate(sendQueued);
      queued.push(pending);
    });
  }

  function settle(pending: Pending, found: Found | null) {
    keys.set(pending.hashed, found, pending.epoch);
    if (inflight.get(pending.hashed) === pending) inflight.delete(pending.hashed);
    for (const w of pending.waiters) {
      try {
        const result = known(w.input, w.within, found);
        if (isPromise(result)) w.resolve(result.then(counted));
        else w.resolve(counted(result));
      } catch (err) {
        w.reject(err);
      }
    }
  }

  function fail(pending: Pending, err: unknown) {
    if (inflight.get(pending.hashed) === pending) inflight.delete(pending.hashed);
    for (const w of pending.waiters) w.reject(err);
  }

  /**
   * The misses of one event-loop turn go to the database together, as one query: under
   * concurrency a burst of new keys then costs one round trip, one pooled connection and one
   * statement, not one each (per query, node-postgres and PostgreSQL spend far more CPU than the
   * 0.05 ms index look-up itself). A lone miss waits only for the rest of the current turn.
   */
  let queued: Pending[] = [];

  function sendQueued() {
    const all = queued;
    queued = [];
    for (let i = 0; i < all.length; i += MAX_HASHES_PER_QUERY) {
      const batch =
        i === 0 && all.length <= MAX_HASHES_PER_QUERY ? all : all.slice(i, i + MAX_HASHES_PER_QUERY);
      stats.missQueries++;
      // One promise per batch; its misses are answered from here (settle), not through a chain each.
      repo.findByHashes(verifyPool, batch.map(hashBytes)).then(
        (rows) => {
          // A secret that is one key's current secret and another's replaced one (it cannot
          // happen short of a SHA-256 collision) answers as the current one, as before.
          const byHash = new Map<string, Found>();
          for (const row of rows) byHash.set(row[C.keyHash], entryOf(row, false));
          for (const row of rows) {
            const previous = row[C.previousHash];
            if (previous !== null && !byHash.has(previous)) byHash.set(previous, entryOf(row, true));
          }
          for (const p of batch) settle(p, byHash.get(p.hashed) ?? null);
        },
        (err: unknown) => {
          for (const p of batch) fail(p, err);
        },
      );
    }
  }

  function manifestOf(environmentId: string): Maybe<Manifest | null> {
    if (trusted && cacheUsable()) {
      const hit = manifests.get(environmentId);
      if (hit) return hit.manifest;
    }
    const epoch = manifestEpoch;
    return deps.currentManifest(environmentId).then((manifest) => {
      if (trusted && epoch === manifestEpoch) manifests.set(environmentId, { manifest });
      return manifest;
    });
  }

  function answer(code: VerifyCode, r: KeyRecord, grants: VerifyResult['grants'], now: number): VerifyResult {
    return Object.freeze({
      valid: code === 'VALID',
      code,
      keyId: r.id,
      name: r.name,
      scope: r.scope,
      grants,
      environment: r.environment,
      metadata: r.metadata,
      expiresAt: iso(r.expiresAt),
      rotatingUntil: iso(rotatingUntil(r, now)),
    });
  }

  function known(input: VerifyInput, within: VerifyWithin, found: Found | null): Maybe<VerifyResult> {
    // Someone else's key answers exactly like a key that does not exist.
    if (found === null) return NOT_FOUND;
    const ok = mayRead(within, found.record);
    // Spelled out rather than andThen: no closure on the hot path.
    if (isPromise(ok)) return ok.then((yes) => (yes ? decide(input, found) : NOT_FOUND));
    return ok ? decide(input, found) : NOT_FOUND;
  }

  function mayRead(within: VerifyWithin, r: KeyRecord): Maybe<boolean> {
    if (within.projectId !== undefined) return within.projectId === r.projectId;
    return callers.mayReadKeysIn(within.principal, r.orgId);
  }

  /**
   * The checks once the key is known and the caller may see it. An answer depends only on the key
   * (its cache entry is evicted when it changes), the manifest (epoch) and the clock (it can only
   * change at the key's expiry or its grace period's end), so it is decided once and handed out
   * until one of those moves.
   */
  function decide(input: VerifyInput, found: Found): Maybe<VerifyResult> {
    const now = clock.now().getTime();
    const asked =
      input.environment === undefined && input.scope === undefined
        ? ''
        : `${input.environment ?? ''}\n${input.scope ?? ''}`;
    const memo = (asked === '' ? found.answer : found.answers?.get(asked)) as
      | DecidedAnswer<VerifyResult>
      | undefined;
    if (memo !== undefined && now < memo.until && memo.manifestEpoch === manifestEpoch) {
      if (memo.used) lastUsed.touch('api_key', found.record.id, now);
      return memo.result;
    }
    // Spelled out rather than andThen: a miss decides here, and a closure each costs it.
    const decided = decideNow(input, found, now, manifestEpoch);
    if (isPromise(decided)) return decided.then((d) => remember(found, asked, d));
    return remember(found, asked, decided);
  }

  /** Keeps a decided answer on its cache entry, unless a manifest changed while it was decided. */
  function remember(found: Found, asked: string, decided: DecidedAnswer<VerifyResult>): VerifyResult {
    if (decided.manifestEpoch === manifestEpoch) {
      if (asked === '') found.answer = decided;
      else {
        found.answers ??= new Map();
        // Callers choose `environment` and `scope`: a few per key is normal, many is not kept.
        if (found.answers.size >= MAX_ANSWERS_PER_KEY) found.answers.clear();
        found.answers.set(asked, decided);
      }
    }
    return decided.result;
  }

  /** `epoch`: the manifest epoch the answer is decided in (the manifest is read after it). */
  function decideNow(
    input: VerifyInput,
    found: Found,
    now: number,
    epoch: number,
  ): Maybe<DecidedAnswer<VerifyResult>> {
    const r = found.record;
    const state = secretState(r, found.previous ? 'previous' : 'current', now);
    // Revoked and expired are final: only a change to the key (an eviction) can alter them.
    if (state !== 'live') {
      const result = answer(REFUSED_VERIFY_CODE[state], r, null, now);
      return { result, until: Number.POSITIVE_INFINITY, used: false, manifestEpoch: epoch };
    }
    lastUsed.touch('api_key', r.id, now);
    // The next instant this answer could change: the key expires, or the grace period ends.
    let until = r.expiresAt ?? Number.POSITIVE_INFINITY;
    if (r.previousExpiresAt !== null && r.previousExpiresAt > now)
      until = Math.min(until, r.previousExpiresAt);
    const manifest = manifestOf(r.environmentId);
    if (isPromise(manifest)) return manifest.then((m) => granted(input, r, now, until, epoch, m));
    return granted(input, r, now, until, epoch, manifest);
  }

  /** A live key's answer under its environment's manifest. */
  function granted(
    input: VerifyInput,
    r: KeyRecord,
    now: number,
    until: number,
    epoch: number,
    manifest: Manifest | null,
  ): DecidedAnswer<VerifyResult> {
    const scopes = manifest?.apiKeys?.scopes;
    const grants = scopes && Object.hasOwn(scopes, r.scope) ? (scopes[r.scope]?.grants ?? null) : null;
    let code: VerifyCode = 'VALID';
    if (input.environment !== undefined && input.environment !== r.environment) code = 'WRONG_ENVIRONMENT';
    else if (input.scope !== undefined && !(manifest && scopeCovers(manifest, r.scope, input.scope))) {
      code = 'INSUFFICIENT_SCOPE';
    }
    return { result: answer(code, r, grants, now), until, used: true, manifestEpoch: epoch };
  }

  function verify(input: VerifyInput, within: VerifyWithin): Maybe<VerifyResult> {
    // One-shot SHA-256 straight to a string (about 2× createHash here); a Buffer only on a miss.
    const hashed = digest('sha256', input.key, 'base64');
    if (staleSince !== null) setCaching();
    // Only a secret that passed the format check below was ever looked up, so only such a
    // secret can be in the cache: a hit skips the check.
    const found = keys.get(hashed);
    if (found === undefined) {
      const prefix = tokenPrefix(input.key);
      if (prefix === null) return counted(MALFORMED);
      // A platform credential is never an app key; no need to look it up.
      if (PLATFORM_PREFIXES.has(prefix)) return counted(NOT_FOUND);
      stats.cacheMisses++;
      // Counted when answered.
      return missed(hashed, input, within);
    }
    stats.cacheHits++;
    const result = known(input, within, found);
    if (isPromise(result)) return result.then(counted);
    stats.outcomes[result.code]++;
    return result;
  }

  return {
    /**
     * Synchronous when everything is cached (no promise, no microtask: this is the hot path);
     * a promise when the key, the caller's standing or the manifest has to be loaded.
     */
    verify,

    /** This node's own changes: evicted before the change is answered, not when NOTIFY comes back. */
    evict(hashes: Buffer[]): void {
      keys.evict(hashes.map((h) => h.toString('base64')));
    },

    cacheSize: () => keys.size,
    /** What /health reports: whether cached answers are served, and since when they may be stale. */
    cacheState(): { listening: boolean; serving: boolean; staleSince: number | null; graceMs: number } {
      return { listening, serving: cacheUsable(), staleSince, graceMs: deps.outageGraceMs };
    },
    stats: stats as Readonly<VerifyStats>,
  };
}
