import type { z } from 'zod';
import type { Permission } from '../permissions/permissions.js';
import type { ErrorCode } from './errors.js';

/**
 * What a route needs: a `resource:level` checked in the `:org` of its path, `self` (any valid
 * credential, acting on its own user-level data) or `public` (no credential at all).
 */
export type RoutePermission = Permission | 'self' | 'public';

export const ENDPOINT_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type EndpointMethod = (typeof ENDPOINT_METHODS)[number];

export type SuccessStatus = 200 | 201 | 202;

/** One `/api/v1` route, declared once: the server registers it, OpenAPI and the client derive from it. */
export type EndpointDef = {
  method: EndpointMethod;
  /** Fastify-style path: `/api/v1/orgs/:org/projects/:project`. */
  path: `/api/v1${string}`;
  summary: string;
  description?: string;
  permission: RoutePermission;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success answers by status. A streamed answer (`stream`) has no JSON body to describe. */
  response: Partial<Record<SuccessStatus, z.ZodType>>;
  /** Server-sent events or NDJSON lines instead of one JSON answer: the client opens it as a raw stream. */
  stream?: 'text/event-stream' | 'application/x-ndjson';
  /** The codes this endpoint's own logic answers with; those of authentication and parsing are added. */
  errors: readonly ErrorCode[];
  /**
   * The answer carries a new secret (a token, or a webhook signing secret): it is sent with
   * `Cache-Control: no-store`, the credential invariant test drives every such endpoint, and the
   * server refuses to start when an unmarked one answers with a `token` or `secret` field.
   */
  returnsCredential?: true;
};

/** Any credential-bearing request can fail these ways before the route's own logic runs. */
export const AUTH_ERRORS = [
  'UNAUTHENTICATED',
  'INVALID_TOKEN',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'WRONG_TOKEN_KIND',
] as const satisfies readonly ErrorCode[];
/** `resource:level` routes also check the caller's standing in `:org`. */
export const ORG_ERRORS = [
  'PERMISSION_DENIED',
  'KEY_SUSPENDED',
  'NOT_FOUND',
] as const satisfies readonly ErrorCode[];
/** A JSON body can be malformed, of the wrong type, or too large. */
export const BODY_ERRORS = [
  'INVALID_INPUT',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
] as const satisfies readonly ErrorCode[];
/** Every request, whatever the route (the first three from Node's HTTP parser, before routing). */
export const ANY_ERRORS = [
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'RATE_LIMITED',
  'DATABASE_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
] as const satisfies readonly ErrorCode[];

type Implied<D extends EndpointDef> =
  | (typeof ANY_ERRORS)[number]
  | (D['permission'] extends 'public' ? never : (typeof AUTH_ERRORS)[number])
  | (D['permission'] extends 'self' | 'public' ? never : (typeof ORG_ERRORS)[number])
  | (D['body'] extends z.ZodType ? (typeof BODY_ERRORS)[number] : never)
  | (D['params'] extends z.ZodType ? 'INVALID_INPUT' : never)
  | (D['query'] extends z.ZodType ? 'INVALID_INPUT' : never);

/** Every code an endpoint may answer with: its own and those implied by its permission and inputs. */
export type EndpointErrorCode<D extends EndpointDef> = D['errors'][number] | Implied<D>;

export type Endpoint<D extends EndpointDef = EndpointDef> = D & {
  /** The declared codes plus the implied ones, sorted: what OpenAPI documents. */
  readonly allErrors: readonly EndpointErrorCode<D>[];
};

/** Declares an endpoint; `allErrors` is worked out here so every consumer sees the same list. */
export function endpoint<const D extends EndpointDef>(def: D): Endpoint<D> {
  const codes = new Set<ErrorCode>([...def.errors, ...ANY_ERRORS]);
  if (def.permission !== 'public') for (const c of AUTH_ERRORS) codes.add(c);
  if (def.permission !== 'public' && def.permission !== 'self') for (const c of ORG_ERRORS) codes.add(c);
  if (def.body) for (const c of BODY_ERRORS) codes.add(c);
  if (def.params || def.query) codes.add('INVALID_INPUT');
  return Object.freeze({ ...def, allErrors: [...codes].sort() as EndpointErrorCode<D>[] });
}

/** `/api/v1/orgs/:org` → `/api/v1/orgs/{org}` (OpenAPI's template syntax). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** The success status an endpoint answers with unless its handler picks another. */
export function defaultStatus(def: EndpointDef): SuccessStatus {
  const statuses = Object.keys(def.response).map(Number) as SuccessStatus[];
  return statuses.length === 0 ? 200 : (Math.max(...statuses) as SuccessStatus);
}
