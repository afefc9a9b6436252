import type { VerifyResult } from '@latchkey/core';
import type { FetchLike } from '../api.js';
import type { UsageEvent, UsageOptions } from './usage.js';

/** Where time comes from (epoch ms); tests pass their own and move it instead of waiting. */
export type SdkClock = { now(): number };

export type VerifierOptions = {
  /**
   * The Latchkey server, e.g. https://latch.example.com; or several nodes of one deployment,
   * comma-separated (`https://a.example.com,https://b.example.com`), or use `servers`.
   */
  apiUrl?: string;
  /** Several nodes of one deployment: the SDK fails over between them (its stream resumes). */
  servers?: string[];
  /** A platform key or service-account key with api_keys:read (and logs:write, for usage reports) in the project's org. */
  token: string;
  /** Project name or id. */
  project: string;
  /** Keys of any other environment answer WRONG_ENVIRONMENT. */
  environment: string;
  /** Org name or id; found from the token when left out. */
  org?: string;
  cache?: { maxEntries?: number; ttlMs?: number; negativeTtlMs?: number };
  /** How long cached answers keep serving while the server is unreachable (ms, default 5 minutes). */
  offlineGrace?: number;
  /** Usage batching; `false` turns reporting off. */
  usage?: UsageOptions | false;
  fetch?: FetchLike;
  /** Per request to the server (default 5 s). */
  requestTimeoutMs?: number;
  /** Background problems (stream drops, failed reports); never carries a token. */
  onError?: (err: unknown) => void;
  /** Default: `Date.now`. Cache lifetimes, the offline grace and usage times all read it. */
  clock?: SdkClock;
};

export type VerifyOptions = {
  scope?: string | undefined;
  /** false: the caller reports usage itself, with its route and latency (the route layer does). */
  report?: boolean;
};

export type VerifierStats = {
  size: number;
  hits: number;
  misses: number;
  requests: number;
  /** The push stream is up (its node may still be degraded: see `degraded`). */
  connected: boolean;
  /** The server requests go to now (changes when one fails over to the next). */
  server: string;
  /**
   * What is not working: `stream` (no push stream to any server), `listen` (the server's node lost
   * its database listener, so revocations reach this app late). Empty when all is well. While
   * not empty, cached answers serve until `offlineUntil` (epoch ms), then none.
   */
  degraded: string[];
  offlineUntil?: number;
  usage: { buffered: number; dropped: number; sentRows: number };
};

export type Verifier = {
  verify(token: string, opts?: VerifyOptions): Promise<VerifyResult>;
  /**
   * Like verify, but a cached answer comes back as the value itself (no promise, no microtask);
   * a promise only when the server has to be asked. The token is hashed and parsed at most once.
   */
  verifySync(token: string, opts?: VerifyOptions): VerifyResult | Promise<VerifyResult>;
  /** The cached answer, without I/O, or undefined when verify() would have to ask the server. */
  peek(token: string, opts?: VerifyOptions): VerifyResult | undefined;
  /** Route layer: one request's outcome, for last-used, logs and metrics. */
  recordUsage(event: UsageEvent): void;
  /** Route layer, hot path: one use of an answer on a route (outcome = the answer's code). */
  recordAnswer(answer: VerifyResult, route: string | null, latencyMs: number): void;
  /** Resolves once the change stream is connected (the cache is then trusted). */
  ready(): Promise<void>;
  stats(): VerifierStats;
  flushUsage(): Promise<void>;
  close(): Promise<void>;
  readonly environment: string;
};
