import { AppError, can, isPermission, type Permission } from '@latchkey/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Actor, actorFor, type Principal, permissionDenied } from '../services/actor.js';
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
      throw new Error(`Route ${methods.join(',')} ${route.url} declares no valid permission (config.permission).`);
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

  app.addHook('onRequest', async (req, reply) => {
    await limiters.perIp.consume(req.ip, reply);
    const permission = req.routeOptions.config?.permission;
    if (!permission || permission === 'public') return;
    const token = bearer(req);
    if (!token) {
      throw new AppError('UNAUTHENTICATED', 'This needs a credential.', {
        hint: 'Run `latch login`, or send Authorization: Bearer <token>.',
      });
    }
    const principal = await (req.routeOptions.config?.authenticate ?? services.tokens.authenticate)(token);
    await limiters.perCredential.consume(principal.credential.id, reply);
    req.actor = actorFor(principal, { requestId: req.id, ip: req.ip });
  });

  // Before body validation: a caller without the permission learns nothing about the body's rules.
  app.addHook('preValidation', async (req) => {
    const permission = req.routeOptions.config?.permission;
    if (!permission || permission === 'public' || permission === 'self') return;
    const ref = (req.params as { org?: string }).org ?? '';
    const org = await services.orgs.resolve(req.actor.principal, ref);
    req.actor.org = org;
    if (!can(org.permissions, permission)) throw permissionDenied(org, permission);
  });
}
