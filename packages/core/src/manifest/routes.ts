import {
  type HttpMethod,
  joinRoutePath,
  parseRateLimit,
  parseRouteAuth,
  parseRouteKey,
  type RouteRateLimit,
} from './rules.js';
import type { Manifest } from './schema.js';
import type { WebhookScheme } from './secret-ref.js';

/** One route with its group's defaults applied: what the SDK mounts and `latch routes` prints. */
export type FlatRoute = {
  method: HttpMethod;
  /** The full path: the group's prefix joined with the route's own path. */
  path: string;
  handler: string;
  /** As written: `apiKey:<scope>`, `session` or `none`. */
  auth: string;
  /** The scope for `apiKey:` routes, else null. */
  scope: string | null;
  rateLimit: RouteRateLimit | null;
  /** The webhook signature to check (`none` routes): the scheme and the secret's name. */
  verify: { scheme: WebhookScheme; secret: string } | null;
  /** Where it is declared: `routes[group].routes[key]`. */
  group: number;
  key: string;
};

/** Every route of a validated manifest, in declaration order. */
export function flattenRoutes(manifest: Manifest): FlatRoute[] {
  const out: FlatRoute[] = [];
  manifest.routes.forEach((group, g) => {
    for (const [key, spec] of Object.entries(group.routes)) {
      const parsed = parseRouteKey(key);
      if ('error' in parsed) continue; // cannot happen after validateManifest
      const own = typeof spec === 'string' ? { handler: spec } : spec;
      const auth = own.auth ?? group.auth;
      const mode = parseRouteAuth(auth);
      const rate = own.rateLimit ?? group.rateLimit;
      out.push({
        method: parsed.method,
        path: joinRoutePath(group.prefix, parsed.path),
        handler: own.handler,
        auth,
        scope: mode?.mode === 'apiKey' ? mode.scope : null,
        rateLimit: rate === undefined ? null : parseRateLimit(rate),
        verify: own.verify ? { scheme: own.verify.scheme, secret: own.verify.secret.$secret } : null,
        group: g,
        key,
      });
    }
  });
  return out;
}

/** The secret names a manifest references (`secret('NAME')`), sorted, each once. */
export function manifestSecretNames(manifest: Manifest): string[] {
  const names = new Set<string>();
  for (const r of flattenRoutes(manifest)) if (r.verify) names.add(r.verify.secret);
  return [...names].sort();
}

export function declaredScopes(manifest: Manifest): string[] {
  return Object.keys(manifest.apiKeys.scopes);
}

/**
 * May a key of scope `keyScope` call a route that requires `routeScope` (SPEC section 6)? Yes
 * when they are the same declared scope, or when every grant of the route's scope is also a grant
 * of the key's scope. An undeclared scope on either side covers nothing.
 */
export function scopeCovers(manifest: Manifest, keyScope: string, routeScope: string): boolean {
  const scopes = manifest.apiKeys.scopes;
  const key = Object.hasOwn(scopes, keyScope) ? scopes[keyScope] : undefined;
  const route = Object.hasOwn(scopes, routeScope) ? scopes[routeScope] : undefined;
  if (!key || !route) return false;
  if (keyScope === routeScope) return true;
  return Object.entries(route.grants).every(([entity, actions]) => {
    const held = Object.hasOwn(key.grants, entity) ? key.grants[entity] : undefined;
    return held !== undefined && actions.every((a) => held.includes(a));
  });
}
