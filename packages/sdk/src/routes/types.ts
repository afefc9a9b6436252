import type { FlatRoute, ManifestInput, ScopeGrants } from '@latchkey/core';
import type { Verifier } from '../verifier/verifier.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { SessionOption } from './session.js';

/** Who called: an API key, a signed-in user, or nobody (`none` routes). */
export type ApiKeyAuth = {
  kind: 'apiKey';
  keyId: string;
  name: string;
  scope: string;
  grants: ScopeGrants;
  metadata: Record<string, string>;
  environment: string;
  expiresAt: string | null;
  /** From the key scope's grants: `can('write', 'Task')`. */
  can(action: string, entity: string): boolean;
};

export type SessionUser = {
  id: string;
  email?: string | undefined;
  grants?: ScopeGrants;
  [claim: string]: unknown;
};

export type SessionAuth = {
  kind: 'session';
  user: SessionUser;
  /** From `user.grants` when the resolver gives them; false otherwise (fail closed). */
  can(action: string, entity: string): boolean;
};

export type NoAuth = { kind: 'none'; can(action: string, entity: string): false };

export type AuthInfo = ApiKeyAuth | SessionAuth | NoAuth;

export type RouteRequest<Params extends Record<string, string> = Record<string, string>> = {
  method: string;
  /** The path without the query string. */
  path: string;
  params: Params;
  query: Record<string, string | string[]>;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string | undefined>;
  /** The body exactly as received (webhook signatures are computed over it). */
  rawBody: Buffer;
  /** JSON bodies parsed (malformed JSON never reaches a handler), forms as an object, else text. */
  body<T = unknown>(): T;
  auth: AuthInfo;
  ip: string;
  /** The manifest route that matched: `{ method, path, handler, auth }`. */
  route: Pick<FlatRoute, 'method' | 'path' | 'handler' | 'auth'>;
};

export type RouteResponse = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

export type RouteHandler = (req: RouteRequest) => RouteResponse | Promise<RouteResponse>;

export type MountOptions = {
  /** One function per handler name in the manifest; every one must be named there. */
  handlers: Record<string, RouteHandler>;
  /** Required when any route uses `apiKey:<scope>`. */
  verifier?: Verifier;
  /** Required when any route uses `session`. */
  session?: SessionOption;
  rateLimit?: RateLimitOptions;
  /**
   * Required when a route declares `verify` (a webhook signature): the released secrets, as an
   * object or a lookup by name. It is read per request, so pass the object the app refreshes (or
   * a getter) and a rotated, redeployed secret is used once the app reloads its release.
   */
  secrets?: SecretsOption;
  /** Where in-memory rate-limit windows read the time (epoch ms; default `Date.now`). */
  clock?: { now(): number };
  /** Request bodies above this are refused with 413 (default 1 MiB). */
  bodyLimit?: number;
  /** Handler failures (answered as a 500 without details). */
  onError?: (err: unknown, req: { method: string; path: string }) => void;
};

export type SecretsOption = Record<string, string | undefined> | ((name: string) => string | undefined);

/** What adapters hand the engine: one request, already matched to a route. */
export type IncomingRequest = {
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  ip: string;
};

/** What the engine hands back: `body` already serialised. */
export type OutgoingResponse = {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
};

export type { ManifestInput };
