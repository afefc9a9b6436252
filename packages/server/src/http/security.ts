import { AppError, can, isPermission, type Permission } from '@latchkey/core';
import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preValidationHookHandler,
} from 'fastify';
import { type Actor, type Principal, permissionDenied } from '../services/actor.js';
import type { Services } from '../services/index.js';
import type { Limiters } from './rate-limit.js';

/**
 * What a route needs: a `resource:level` checked in the `:org` of its path, `self` (any valid
 * credential, acting on its own user-level data) or `public` (no credential at all).
 */
export type RoutePermission = Permission | 'self' | 'public';

export type RouteInfo = { method: string; url: string; permission: RoutePermission };

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
    /** Replaces tokens.authenticate for one route (the verification API caches its callers). */
    authenticate?: (token: string) => Principal | Promise<Principal>;
  }
  interface FastifyRequest {
    actor: Actor;
  }
}

const API_PREFIX = '/api/v1';

/**
 * Collects the route table and refuses to start when an /api/v1 route forgets its permission,
 * so no route can be unguarded by omission.
 */
export function collectRouteTable(app: FastifyInstance): RouteInfo[] {
  const table: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(API_PREFIX)) return;
    const permission = (route.config as { permission?: RoutePermission } | undefined)?.permission;
    const methods = ([] as string[]).concat(route.method);
    if (!permission || !(permission === 'self' || permission === 'public' || isPermission(permission))) {
      throw new Error(
        `Route ${methods.join(',')} ${route.url} declares no valid permission (config.permission).`,
      );
    }
    if (isPermission(permission) && !route.url.includes(':org')) {
      throw new Error(`Route ${route.url} needs ${permission} but has no :org parameter to check it in.`);
    }
    for (const method of methods) if (method !== 'HEAD') table.push({ method, url: route.url, permission });
  });
  return table;
}

function bearer(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new AppError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".', {
      hint: 'Send Authorization: Bearer <your token>.',
    });
  }
  return match[1]!;
}

export function registerSecurity(app: FastifyInstance, services: Services, limiters: Limiters) {
  app.decorateRequest('actor', null as unknown as Actor);

  // Callback-style and synchronous up to the credential check: a cached credential (the
  // verification route's caller cache) is answered without a promise or a microtask.
  app.addHook('onRequest', (req, reply, done) => {
    let config: FastifyContextConfig | undefined;
    let principal: Principal | Promise<Principal>;
    try {
      limiters.perIp.consume(req.ip, reply);
      config = req.routeOptions.config;
      const permission = config?.permission;
      if (!permission || permission === 'public') return done();
      const token = bearer(req);
      if (!token) {
        throw new AppError('UNAUTHENTICATED', 'This needs a credential.', {
          hint: 'Run `latch login`, or send Authorization: Bearer <token>.',
        });
      }
      principal = (config?.authenticate ?? services.tokens.authenticate)(token);
      if (!(principal instanceof Promise)) {
        admit(req, reply, principal);
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
  });

  function admit(req: FastifyRequest, reply: FastifyReply, principal: Principal) {
    limiters.perCredential.consume(principal.credential.id, reply);
    req.actor = { principal, org: null, requestId: req.id, ip: req.ip };
  }

  // Before body validation: a caller without the permission learns nothing about the body's rules.
  // Attached only to the routes that name a `resource:level` permission (as the first of their
  // preValidation hooks), so `self` and `public` routes do not run it at all.
  const checkOrg: preValidationHookHandler = (req, _reply, done) => {
    const permission = req.routeOptions.config?.permission as Permission;
    const ref = (req.params as { org?: string }).org ?? '';
    services.orgs.resolve(req.actor.principal, ref).then(
      (org) => {
        req.actor.org = org;
        if (!can(org.permissions, permission)) return done(permissionDenied(org, permission));
        done();
      },
      (err: Error) => done(err),
    );
  };
  app.addHook('onRoute', (route) => {
    const permission = (route.config as { permission?: RoutePermission } | undefined)?.permission;
    if (!permission || permission === 'public' || permission === 'self') return;
    const own = route.preValidation;
    route.preValidation = own
      ? [checkOrg, ...([] as preValidationHookHandler[]).concat(own as never)]
      : [checkOrg];
  });
}
