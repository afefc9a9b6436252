import {
  AppError,
  can,
  endpointId,
  isPermission,
  isStorableText,
  type Permission,
  type RoutePermission,
  TEXT_RULE,
} from '@latchkey/core';
import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preValidationHookHandler,
} from 'fastify';
import { isPromise } from '../maybe.js';
import { type Actor, type Principal, permissionDenied } from '../services/actor.js';
import type { Services } from '../services/index.js';
import type { Limiters } from './limiters.js';
import { authenticateSession, sessionSecretOf } from './session-auth.js';

export type { RoutePermission };

/**
 * A registered route; `id` names its entry of the contract table (`apiKeys.create`), or is
 * `METHOD url` for a credential route outside /api/v1 (the OAuth token endpoint).
 */
export type RouteInfo = {
  id: string;
  method: string;
  url: string;
  permission: RoutePermission;
  /** The route hands out a credential's secret: the mint invariant tests cover it (SPEC 2). */
  returnsCredential: boolean;
};

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
    /**
     * The answer carries a credential's secret (a new or rotated token, a webhook signing secret).
     * Required on every route whose success schema has a `token` or `secret` field, so no such
     * route escapes the invariant tests.
     */
    returnsCredential?: boolean;
    /** Replaces tokens.authenticate for one route (the verification API caches its callers). */
    authenticate?: (token: string, connection: object) => Principal | Promise<Principal>;
  }
  interface FastifyRequest {
    actor: Actor;
  }
}

const API_PREFIX = '/api/v1';

type ZodDef = Record<string, unknown>;
const defOf = (schema: unknown) => (schema as { _zod?: { def?: ZodDef } } | null)?._zod?.def;

/** A string, possibly optional or nullable: the shape a secret has in an answer. */
function isStringField(schema: unknown): boolean {
  const def = defOf(schema);
  if (!def) return false;
  if (def.type === 'optional' || def.type === 'nullable') return isStringField(def.innerType);
  return def.type === 'string';
}

/**
 * Does a (zod) response schema carry a credential's secret anywhere: a string field named `token`,
 * `*_token`, `secret` or `*_secret` (a webhook signing secret)? (An object under `token`, like
 * /me's description of the caller's token, is not one.)
 */
export function schemaHasToken(schema: unknown, seen = new Set<unknown>()): boolean {
  const def = defOf(schema);
  if (!def || seen.has(schema)) return false;
  seen.add(schema);
  const shape = def.shape as Record<string, unknown> | undefined;
  if (def.type === 'object' && shape) {
    return Object.entries(shape).some(
      ([k, v]) => (/(^|_)(token|secret)$/i.test(k) && isStringField(v)) || schemaHasToken(v, seen),
    );
  }
  const inner = [def.innerType, def.in, def.out, def.element, def.left, def.right, def.getter];
  const options = Array.isArray(def.options) ? def.options : [];
  const lazy = typeof def.getter === 'function' ? [(def.getter as () => unknown)()] : [];
  return [...inner, ...options, ...lazy].some((s) => s && typeof s === 'object' && schemaHasToken(s, seen));
}

function successSchemas(route: { schema?: unknown }): unknown[] {
  const response = (route.schema as { response?: Record<string, unknown> } | undefined)?.response ?? {};
  return Object.entries(response)
    .filter(([status]) => /^2/.test(status))
    .map(([, s]) => s);
}

/**
 * Collects the route table and refuses to start when an /api/v1 route is not an entry of the
 * contract table (registered with `register`) or forgets its permission, so no route can be
 * undocumented or unguarded by omission, or when a route answers with a token but is not
 * marked `returnsCredential`, so none escapes the credential invariant tests. Marked routes
 * outside /api/v1 (the OAuth token endpoint) are in `credentialRoutes` too.
 */
export function collectRouteTable(app: FastifyInstance): {
  routes: RouteInfo[];
  credentialRoutes: RouteInfo[];
} {
  const routes: RouteInfo[] = [];
  const credentialRoutes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    const config = route.config as FastifyContextConfig | undefined;
    const methods = ([] as string[]).concat(route.method).filter((m) => m !== 'HEAD');
    const returnsCredential = config?.returnsCredential === true;
    if (!returnsCredential && successSchemas(route).some((s) => schemaHasToken(s))) {
      throw new Error(
        `Route ${methods.join(',')} ${route.url} answers with a token or signing secret but is not marked config.returnsCredential.`,
      );
    }
    const permission = config?.permission;
    if (returnsCredential && !route.url.startsWith(API_PREFIX)) {
      for (const method of methods)
        credentialRoutes.push({
          id: `${method} ${route.url}`,
          method,
          url: route.url,
          permission: permission ?? 'public',
          returnsCredential,
        });
    }
    if (!route.url.startsWith(API_PREFIX)) return;
    const endpoint = config?.endpoint;
    const id = endpoint ? endpointId(endpoint) : undefined;
    const matches =
      endpoint !== undefined &&
      endpoint.path === route.url &&
      endpoint.permission === permission &&
      methods.every((m) => m === endpoint.method);
    if (!id || !matches) {
      throw new Error(
        `Route ${methods.join(',')} ${route.url} is not an entry of the contract table (packages/core/src/contract/endpoints): declare it there and register it with register().`,
      );
    }
    if (!permission || !(permission === 'self' || permission === 'public' || isPermission(permission))) {
      throw new Error(
        `Route ${methods.join(',')} ${route.url} declares no valid permission (config.permission).`,
      );
    }
    if (isPermission(permission) && !route.url.includes(':org')) {
      throw new Error(`Route ${route.url} needs ${permission} but has no :org parameter to check it in.`);
    }
    for (const method of methods) {
      const info = { id, method, url: route.url, permission, returnsCredential };
      routes.push(info);
      if (returnsCredential) credentialRoutes.push(info);
    }
  });
  return { routes, credentialRoutes };
}

function bearer(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  // The form every client sends, without a regular expression; anything else takes the long way.
  if (header.startsWith('Bearer ') && header.indexOf(' ', 7) === -1 && header.length > 7) {
    return header.slice(7);
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new AppError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".', {
      hint: 'Send Authorization: Bearer <your token>.',
    });
  }
  return match[1]!;
}

/**
 * Path and query values reach look-ups before (or without) any route schema, e.g. the `:org` of
 * checkOrg: text PostgreSQL cannot take is refused here, for every route, before any of them.
 */
function unstorableInput(req: FastifyRequest): AppError | null {
  const issues: { path: string; message: string }[] = [];
  const check = (where: string, values: object | undefined) => {
    if (!values) return;
    for (const [key, value] of Object.entries(values)) {
      const texts = Array.isArray(value) ? value : [value];
      if (!isStorableText(key) || texts.some((v) => typeof v === 'string' && !isStorableText(v))) {
        issues.push({ path: `${where}.${isStorableText(key) ? key : '?'}`, message: TEXT_RULE });
      }
    }
  };
  check('params', req.params as object | undefined);
  check('querystring', req.query as object | undefined);
  // The query parser keeps what it cannot decode as it was, so a lone surrogate sent as invalid
  // UTF-8 (`%ED%A0%80`) would arrive as harmless text: refuse the malformed query instead.
  const q = req.url.indexOf('?');
  if (q !== -1 && req.url.includes('%', q)) {
    try {
      decodeURIComponent(req.url.slice(q + 1));
    } catch {
      issues.push({ path: 'querystring', message: 'is not valid percent-encoded UTF-8' });
    }
  }
  if (issues.length === 0) return null;
  return new AppError('INVALID_INPUT', `${issues[0]!.path}: ${issues[0]!.message}`, {
    hint: 'Fix the fields listed in details and try again.',
    details: { issues },
  });
}

export function registerSecurity(
  app: FastifyInstance,
  services: Services,
  limiters: Limiters,
  opts: { secureCookies: boolean },
) {
  app.decorateRequest('actor', null as unknown as Actor);

  function admit(req: FastifyRequest, reply: FastifyReply, principal: Principal, now?: number) {
    limiters.perCredential.consume(principal.credential.id, reply, 1, now);
    req.actor = { principal, org: null, requestId: req.id, ip: req.ip };
  }

  /**
   * The guard of one route, built once when the route is registered, so a request reads nothing
   * of the route's declaration. Callback-style and synchronous up to the credential check: a
   * cached credential (the verification route's caller cache) is answered without a promise.
   */
  function guard(
    config: FastifyContextConfig | undefined,
    checkText: boolean,
    sessions: boolean,
  ): onRequestHookHandler {
    const permission = config?.permission;
    if (!permission || permission === 'public') {
      return (req, reply, done) => {
        // First, so every answer carries it (errors Fastify raises before this hook get it from
        // the error handler).
        reply.header('x-request-id', req.id);
        try {
          limiters.perIp.consume(req.ip, reply);
          const invalid = checkText ? unstorableInput(req) : null;
          if (invalid) throw invalid;
        } catch (err) {
          return done(err as Error);
        }
        done();
      };
    }
    const authenticate = config?.authenticate ?? services.tokens.authenticate;
    // The dashboard's session cookie (with its CSRF header) works on /api/v1 routes, except those
    // that authenticate their callers their own way (the verification API takes API keys only).
    const acceptsSession = sessions && !config?.authenticate;
    return (req, reply, done) => {
      reply.header('x-request-id', req.id);
      let principal: Principal | Promise<Principal>;
      try {
        // Every request counts against its address; the RateLimit headers describe the limit
        // that binds an authenticated request: its credential's (set in admit).
        const now = limiters.now();
        limiters.perIp.consume(req.ip, undefined, 1, now);
        const invalid = checkText ? unstorableInput(req) : null;
        if (invalid) throw invalid;
        const token = bearer(req);
        const session = !token && acceptsSession ? sessionSecretOf(req, opts.secureCookies) : undefined;
        if (token) principal = authenticate(token, req.raw.socket);
        else if (session) principal = authenticateSession(req, session, services);
        else {
          throw new AppError('UNAUTHENTICATED', 'This needs a credential.', {
            hint: 'Run `latch login`, or send Authorization: Bearer <token>.',
          });
        }
        if (!isPromise(principal)) {
          admit(req, reply, principal, now);
          return done();
        }
      } catch (err) {
        return done(err as Error);
      }
      principal.then(
        (p) => {
          try {
            admit(req, reply, p);
          } catch (err) {
            return done(err as Error);
          }
          done();
        },
        (err: Error) => done(err),
      );
    };
  }

  // Before body validation: a caller without the permission learns nothing about the body's rules.
  // Attached only to the routes that name a `resource:level` permission (as the first of their
  // preValidation hooks), so `self` and `public` routes do not run it at all.
  function checkOrg(permission: Permission): preValidationHookHandler {
    return (req, _reply, done) => {
      const ref = (req.params as { org?: string }).org ?? '';
      services.orgs.resolve(req.actor.principal, ref).then(
        (org) => {
          req.actor.org = org;
          if (!can(org.permissions, permission))
            return done(permissionDenied(org, permission, req.actor.principal));
          done();
        },
        (err: Error) => done(err),
      );
    };
  }

  app.addHook('onRoute', (route) => {
    const config = route.config as FastifyContextConfig | undefined;
    route.onRequest = [
      // The API's routes (and OAuth's); the sign-in pages judge their own query (e.g. `next`).
      guard(
        config,
        route.url.startsWith('/api/') || route.url.startsWith('/oauth/'),
        route.url.startsWith(API_PREFIX),
      ),
      ...([] as onRequestHookHandler[]).concat((route.onRequest as never) ?? []),
    ];
    const permission = config?.permission;
    if (!permission || permission === 'public' || permission === 'self') return;
    route.preValidation = [
      checkOrg(permission),
      ...([] as preValidationHookHandler[]).concat((route.preValidation as never) ?? []),
    ];
  });
}
