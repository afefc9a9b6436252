import { hash as digest } from 'node:crypto';
import { AppError, parseToken, platformKindOf, type VerifyResult } from '@latchkey/core';
import { type Api, createApi, isUnavailable } from '../api.js';
import { type Entry, entryFor, VerifyCache } from './cache.js';
import { checkVerifierToken } from './credential.js';
import { startKeyStream } from './key-stream.js';
import { type ProjectRef, resolveProject } from './project.js';
import type { Verifier, VerifierOptions, VerifyOptions } from './types.js';
import { createUsageReporter, type UsageReporter } from './usage.js';

export type { Verifier, VerifierOptions, VerifierStats, VerifyOptions } from './types.js';

const NOTHING = {
  keyId: null,
  name: null,
  scope: null,
  grants: null,
  environment: null,
  metadata: null,
  expiresAt: null,
  rotatingUntil: null,
};
const MALFORMED: VerifyResult = Object.freeze({ valid: false, code: 'MALFORMED', ...NOTHING });
const NOT_FOUND: VerifyResult = Object.freeze({ valid: false, code: 'NOT_FOUND', ...NOTHING });
const MALFORMED_SETTLED = Promise.resolve(MALFORMED);

const MAX_TOKEN_LENGTH = 128;

/**
 * Verifies app API keys inside the app. Hot path: SHA-256 of the presented key and one Map
 * look-up. The format and checksum check runs before any network call, not before the cache: a
 * cached hash can only be that of a well-formed key, and the check costs as much as the hash.
 * Misses for one key share one request; the server pushes revocations, rotations and manifest
 * changes over a server-sent event stream that evicts at once.
 */
export function createVerifier(opts: VerifierOptions): Verifier {
  checkVerifierToken(opts.token);
  const api: Api = createApi({
    apiUrl: opts.apiUrl,
    token: opts.token,
    fetch: opts.fetch,
    timeoutMs: opts.requestTimeoutMs,
  });
  const maxEntries = opts.cache?.maxEntries ?? 100_000;
  const ttlMs = opts.cache?.ttlMs ?? 5 * 60_000;
  const negativeTtlMs = opts.cache?.negativeTtlMs ?? 60_000;
  const offlineGrace = opts.offlineGrace ?? 5 * 60_000;
  const onError = opts.onError ?? (() => {});
  const cache = new VerifyCache(maxEntries, Math.max(1, Math.ceil(maxEntries / 10)));
  const inflight = new Map<string, { epoch: number; promise: Promise<VerifyResult> }>();
  const counters = { hits: 0, misses: 0, requests: 0 };

  // The cache is trusted while the stream is live; after it drops, for offlineGrace more.
  let connected = false;
  let cacheAllowed = true;
  let trustedUntil = Date.now() + offlineGrace;
  let closed = false;
  let markReady: () => void = () => {};
  const readyPromise = new Promise<void>((r) => {
    markReady = r;
  });

  // Resolved once; a failure (server down at start-up) is retried by the next caller.
  let projectPromise: Promise<ProjectRef> | null = null;
  const project = (): Promise<ProjectRef> => {
    projectPromise ??= resolveProject(api, opts.project, opts.org).catch((err) => {
      projectPromise = null;
      throw err;
    });
    return projectPromise;
  };
  let usage: UsageReporter | null = null;
  let stream: { close(): void } | null = null;
  let startRetry: NodeJS.Timeout | undefined;

  function startStream(p: ProjectRef) {
    if (opts.usage !== false)
      usage = createUsageReporter(api, `${p.base}/usage`, opts.environment, opts.usage ?? {});
    stream = startKeyStream({
      api,
      path: `${p.base}/events?environment=${encodeURIComponent(opts.environment)}`,
      handlers: {
        hello(hello) {
          connected = true;
          cacheAllowed = hello.cache;
          // A stream that could not resume may have missed changes: start over.
          if (!hello.resumed || !hello.cache) cache.clear();
          markReady();
        },
        event(event) {
          if (event.kind === 'manifest') cache.clear();
          else cache.evict(event.hashes);
        },
        reset(allowed) {
          cacheAllowed = allowed;
          cache.clear();
        },
        down(err) {
          if (connected) trustedUntil = Date.now() + offlineGrace;
          connected = false;
          onError(err);
        },
      },
    });
  }

  (function begin(attempt: number) {
    project().then(
      (p) => {
        if (!closed) startStream(p);
      },
      (err) => {
        onError(err);
        if (closed) return;
        startRetry = setTimeout(() => begin(attempt + 1), Math.min(10_000, 200 * 2 ** attempt));
        startRetry.unref();
      },
    );
  })(0);

  /** An entry may be served when the cache is trusted and the entry is within its lifetime. */
  function usable(entry: Entry | undefined, now: number): Entry | undefined {
    if (entry === undefined || !cacheAllowed) return undefined;
    if (connected) return now < entry.freshUntil ? entry : undefined;
    return now < trustedUntil && now < entry.hardUntil ? entry : undefined;
  }

  async function ask(token: string, scope: string | undefined): Promise<VerifyResult> {
    const p = await project();
    counters.requests++;
    return api.request<VerifyResult>('POST', `${p.base}/verify`, {
      key: token,
      environment: opts.environment,
      ...(scope === undefined ? {} : { scope }),
    });
  }

  /** The key's own answer from a scoped one: covering or not, the key itself is valid. */
  function baseOf(result: VerifyResult): VerifyResult {
    return result.code === 'INSUFFICIENT_SCOPE' || (result.valid && result.code === 'VALID')
      ? { ...result, valid: true, code: 'VALID' }
      : result;
  }

  function load(token: string, hash: string, scope: string | undefined, stale: Entry | undefined) {
    const flightKey = scope === undefined ? hash : `${hash}\u0000${scope}`;
    const running = inflight.get(flightKey);
    if (running && running.epoch === cache.epoch) return running.promise;
    const epoch = cache.epoch;
    const promise = ask(token, scope)
      .then((result) => {
        const now = Date.now();
        const base = baseOf(result);
        const ttl = base.valid ? ttlMs : negativeTtlMs;
        // A live entry with the same answer keeps its per-scope answers; anything else is replaced.
        let entry = cache.get(hash);
        if (
          !entry ||
          now >= entry.freshUntil ||
          entry.result.keyId !== base.keyId ||
          entry.result.code !== base.code
        ) {
          entry = entryFor(base, now, ttl);
          if (!cache.set(hash, entry, epoch)) return result;
        }
        if (scope !== undefined && base.valid && scope !== base.scope && epoch === cache.epoch) {
          entry.scopes ??= new Map();
          entry.scopes.set(scope, entryFor(result, now, ttl));
        }
        return result;
      })
      .catch((err) => {
        // Unreachable: a stale answer still inside the offline allowance beats refusing everyone.
        const now = Date.now();
        if (
          isUnavailable(err) &&
          stale &&
          cacheAllowed &&
          now < stale.hardUntil &&
          (connected || now < trustedUntil)
        ) {
          return stale.result;
        }
        throw err;
      })
      .finally(() => {
        if (inflight.get(flightKey)?.promise === promise) inflight.delete(flightKey);
      });
    inflight.set(flightKey, { epoch, promise });
    return promise;
  }

  /** The usable cached answer for this token and route scope, counting the hit. */
  function cached(hash: string, verifyOpts: VerifyOptions | undefined): Entry | undefined {
    const scope = verifyOpts?.scope;
    const now = Date.now();
    const entry = usable(cache.get(hash), now);
    if (entry === undefined) return undefined;
    const hit =
      scope === undefined || !entry.result.valid || scope === entry.result.scope
        ? entry
        : usable(entry.scopes?.get(scope), now);
    if (hit === undefined) return undefined;
    counters.hits++;
    if (usage !== null && hit.result.keyId !== null && verifyOpts?.report !== false)
      usage.hit(hit.result, null, 0, now);
    return hit;
  }

  const sha256 = (token: string) => digest('sha256', token, 'hex');

  function peek(token: string, verifyOpts?: VerifyOptions): VerifyResult | undefined {
    if (closed || typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
    return cached(sha256(token), verifyOpts)?.result;
  }

  function verify(token: string, verifyOpts?: VerifyOptions): Promise<VerifyResult> {
    if (closed) return Promise.reject(new AppError('SERVICE_UNAVAILABLE', 'This verifier is closed.'));
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return MALFORMED_SETTLED;
    const hash = sha256(token);
    const hit = cached(hash, verifyOpts);
    if (hit !== undefined) return hit.settled;
    const scope = verifyOpts?.scope;
    // Nothing leaves the process for a malformed key or a platform credential.
    const parsed = parseToken(token);
    if (!parsed) return MALFORMED_SETTLED;
    if (platformKindOf(parsed.prefix)) return Promise.resolve(NOT_FOUND);
    counters.misses++;
    const known = cache.get(hash);
    const stale =
      known && (scope === undefined || !known.result.valid || scope === known.result.scope)
        ? known
        : known?.scopes?.get(scope as string);
    const answer = load(token, hash, scope, stale);
    if (verifyOpts?.report === false || !usage) return answer;
    const started = performance.now();
    return answer.then((result) => {
      if (result.keyId) usage?.hit(result, null, performance.now() - started, Date.now());
      return result;
    });
  }

  return {
    environment: opts.environment,
    verify,
    peek,
    recordUsage(event) {
      usage?.record(event);
    },
    recordAnswer(answer, route, latencyMs) {
      usage?.hit(answer, route, latencyMs, Date.now());
    },
    ready: () => readyPromise,
    stats: () => ({
      size: cache.size,
      ...counters,
      connected,
      usage: usage?.stats() ?? { buffered: 0, dropped: 0, sentRows: 0 },
    }),
    flushUsage: async () => {
      await usage?.flush();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(startRetry);
      stream?.close();
      await usage?.close();
    },
  };
}
