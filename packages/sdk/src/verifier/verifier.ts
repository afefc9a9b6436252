import { hash as digest } from 'node:crypto';
import {
  AppError,
  type FetchLike as CoreFetchLike,
  createClient,
  endpointPath,
  endpoints,
  MALFORMED_ANSWER,
  NOT_FOUND_ANSWER,
  parseToken,
  platformKindOf,
  type VerifyResult,
} from '@latchkey/core';
import { type Api, createApi, isUnavailable } from '../api.js';
import { createFailover, serverList } from '../failover.js';
import { type Entry, entryFor, VerifyCache } from './cache.js';
import { checkVerifierToken } from './credential.js';
import { startKeyStream } from './key-stream.js';
import { type ProjectRef, resolveProject } from './project.js';
import { createTurnClock } from './turn-clock.js';
import type { SdkClock, Verifier, VerifierOptions, VerifyOptions } from './types.js';
import { createUsageReporter, type UsageReporter } from './usage.js';

export type { SdkClock, Verifier, VerifierOptions, VerifierStats, VerifyOptions } from './types.js';

const MALFORMED = MALFORMED_ANSWER;
const NOT_FOUND = NOT_FOUND_ANSWER;
const MALFORMED_SETTLED = Promise.resolve(MALFORMED);
const NOT_FOUND_SETTLED = Promise.resolve(NOT_FOUND);
const systemClock: SdkClock = { now: Date.now };

const MAX_TOKEN_LENGTH = 128;

const closedError = () => new AppError('SERVICE_UNAVAILABLE', 'This verifier is closed.');

/**
 * Verifies app API keys inside the app. Hot path: SHA-256 of the presented key and one Map
 * look-up. The format and checksum check runs before any network call, not before the cache: a
 * cached hash can only be that of a well-formed key, and the check costs as much as the hash.
 * Misses for one key share one request; the server pushes revocations, rotations and manifest
 * changes over a server-sent event stream that evicts at once.
 */
export function createVerifier(opts: VerifierOptions): Verifier {
  checkVerifierToken(opts.token);
  // Several servers (nodes of one deployment): every call goes through one failover, so the push
  // stream, verifications and project resolution all move to the next node when one is gone.
  const failover = createFailover(
    serverList(opts.apiUrl ?? '', opts.servers),
    opts.fetch ?? ((input, init) => fetch(input, init)),
  );
  const api: Api = createApi({
    apiUrl: failover.base,
    token: opts.token,
    fetch: failover.fetch,
    timeoutMs: opts.requestTimeoutMs,
  });
  // Project resolution goes through the typed client; the hot requests keep the SDK's own api,
  // whose 5xx-as-unavailable rule the offline grace depends on. Every path comes from the table.
  const client = createClient({
    baseUrl: failover.base,
    token: opts.token,
    fetch: failover.fetch as CoreFetchLike,
    timeoutMs: opts.requestTimeoutMs ?? 5_000,
  });
  const maxEntries = opts.cache?.maxEntries ?? 100_000;
  const ttlMs = opts.cache?.ttlMs ?? 5 * 60_000;
  const negativeTtlMs = opts.cache?.negativeTtlMs ?? 60_000;
  const offlineGrace = opts.offlineGrace ?? 5 * 60_000;
  const onError = opts.onError ?? (() => {});
  const clock = opts.clock ?? systemClock;
  const hitTime = opts.clock ? () => clock.now() : createTurnClock();
  const cache = new VerifyCache(maxEntries, Math.max(1, Math.ceil(maxEntries / 10)));
  const inflight = new Map<string, { epoch: number; promise: Promise<VerifyResult> }>();
  const counters = { hits: 0, misses: 0, requests: 0 };

  // The cache is trusted while the stream is live; after it drops, for offlineGrace more.
  let connected = false;
  let cacheAllowed = true;
  // What the server's node reports it cannot do (`listen`): its pushes may come late, so the
  // cache is trusted as if offline, for offlineGrace from when that started.
  let serverDegraded: string[] = [];
  let trustedUntil = clock.now() + offlineGrace;
  let closed = false;
  let markReady: () => void = () => {};
  const readyPromise = new Promise<void>((r) => {
    markReady = r;
  });

  // Resolved once; a failure (server down at start-up) is retried by the next caller.
  let projectPromise: Promise<ProjectRef> | null = null;
  const project = (): Promise<ProjectRef> => {
    projectPromise ??= resolveProject(client, opts.project, opts.org).catch((err) => {
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
      usage = createUsageReporter(
        api,
        endpointPath(endpoints.sdk.usage, p),
        opts.environment,
        opts.usage ?? {},
        clock,
      );
    stream = startKeyStream({
      api,
      path: `${endpointPath(endpoints.sdk.events, p)}?environment=${encodeURIComponent(opts.environment)}`,
      handlers: {
        hello(hello) {
          const wasTrusting = connected && serverDegraded.length === 0;
          connected = true;
          cacheAllowed = hello.cache;
          setDegraded(hello.degraded ?? [], wasTrusting);
          // A stream that could not resume may have missed changes: start over.
          if (!hello.resumed || !hello.cache) cache.clear();
          markReady();
        },
        status(degraded) {
          setDegraded(degraded, connected && serverDegraded.length === 0);
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
          if (connected && serverDegraded.length === 0) trustedUntil = clock.now() + offlineGrace;
          // A stream that was up and ended means its node went away (or is draining): try the
          // next node first. It resumes from its position in the log every node shares.
          if (connected) failover.next();
          connected = false;
          onError(err);
        },
      },
    });
  }

  /** The grace starts when trust was last whole: the stream up and its node not degraded. */
  function setDegraded(degraded: string[], wasTrusting: boolean) {
    if (degraded.length > 0 && wasTrusting) trustedUntil = clock.now() + offlineGrace;
    serverDegraded = degraded;
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
    if (connected && serverDegraded.length === 0) return now < entry.freshUntil ? entry : undefined;
    return now < trustedUntil && now < entry.hardUntil ? entry : undefined;
  }

  async function ask(token: string, scope: string | undefined): Promise<VerifyResult> {
    const p = await project();
    counters.requests++;
    return api.request<VerifyResult>('POST', endpointPath(endpoints.apiKeys.verifyInProject, p), {
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
        const now = clock.now();
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
        const now = clock.now();
        if (
          isUnavailable(err) &&
          stale &&
          cacheAllowed &&
          now < stale.hardUntil &&
          ((connected && serverDegraded.length === 0) || now < trustedUntil)
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
  function cached(hash: string, verifyOpts: VerifyOptions | undefined, now: number): Entry | undefined {
    const scope = verifyOpts?.scope;
    const entry = usable(cache.get(hash), now);
    if (entry === undefined) return undefined;
    const hit =
      scope === undefined || !entry.result.valid || scope === entry.result.scope
        ? entry
        : usable(entry.scopes?.get(scope), now);
    if (hit === undefined) return undefined;
    counters.hits++;
    if (usage !== null && hit.result.keyId !== null && verifyOpts?.report !== false) {
      // The row this entry's hits count in, kept on the entry: no look-up per hit.
      const row = hit.usageRow;
      if (row !== null && !row.sent) {
        row.count++;
        row.last = now;
        usage.note(row, now, 0);
      } else hit.usageRow = usage.hit(hit.result, null, 0, now);
    }
    return hit;
  }

  const sha256 = (token: string) => digest('sha256', token, 'hex');
  const acceptable = (token: unknown): token is string =>
    typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH;

  function peek(token: string, verifyOpts?: VerifyOptions): VerifyResult | undefined {
    if (closed || !acceptable(token)) return undefined;
    return cached(sha256(token), verifyOpts, clock.now())?.result;
  }

  /**
   * Not cached: checked locally (format and checksum, platform prefixes), then asked once. The
   * caller already hashed the token; nothing here hashes it again. undefined: refused locally
   * as malformed; null: a platform credential (never an app key).
   */
  function miss(
    token: string,
    hash: string,
    verifyOpts: VerifyOptions | undefined,
  ): Promise<VerifyResult> | undefined | null {
    const parsed = parseToken(token);
    if (!parsed) return undefined;
    if (platformKindOf(parsed.prefix)) return null;
    counters.misses++;
    const scope = verifyOpts?.scope;
    const known = cache.get(hash);
    const stale =
      known && (scope === undefined || !known.result.valid || scope === known.result.scope)
        ? known
        : known?.scopes?.get(scope as string);
    const answer = load(token, hash, scope, stale);
    if (verifyOpts?.report === false || !usage) return answer;
    const started = performance.now();
    return answer.then((result) => {
      if (result.keyId) usage?.hit(result, null, performance.now() - started, clock.now());
      return result;
    });
  }

  function verify(token: string, verifyOpts?: VerifyOptions): Promise<VerifyResult> {
    if (closed) return Promise.reject(closedError());
    if (!acceptable(token)) return MALFORMED_SETTLED;
    const hash = sha256(token);
    const hit = cached(hash, verifyOpts, hitTime());
    // The same settled promise every time: a hit allocates nothing.
    if (hit !== undefined) return hit.settled;
    const asked = miss(token, hash, verifyOpts);
    return asked === undefined ? MALFORMED_SETTLED : asked === null ? NOT_FOUND_SETTLED : asked;
  }

  function verifySync(token: string, verifyOpts?: VerifyOptions): VerifyResult | Promise<VerifyResult> {
    if (closed) return Promise.reject(closedError());
    if (!acceptable(token)) return MALFORMED;
    const hash = sha256(token);
    const hit = cached(hash, verifyOpts, hitTime());
    if (hit !== undefined) return hit.result;
    const asked = miss(token, hash, verifyOpts);
    return asked === undefined ? MALFORMED : asked === null ? NOT_FOUND : asked;
  }

  return {
    environment: opts.environment,
    verify,
    verifySync,
    peek,
    recordUsage(event) {
      usage?.record(event);
    },
    recordAnswer(answer, route, latencyMs) {
      usage?.hit(answer, route, latencyMs, clock.now());
    },
    ready: () => readyPromise,
    stats: () => ({
      size: cache.size,
      ...counters,
      connected,
      server: failover.current,
      degraded: [...(connected ? [] : ['stream']), ...serverDegraded],
      ...(connected && serverDegraded.length === 0 ? {} : { offlineUntil: trustedUntil }),
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
