import {
  type FlatRoute,
  flattenRoutes,
  formatManifestIssues,
  type Manifest,
  type ManifestInput,
  parseRouteKey,
  validateManifest,
} from '@latchkey/core';
import type { MountOptions, RouteHandler } from './types.js';

/** A manifest route bound to its handler, with what the engine needs per request precomputed. */
export type CompiledRoute = FlatRoute & {
  fn: RouteHandler;
  /** `GET /v1/projects/:projectId`: the route's name in usage reports. */
  label: string;
  /** Routes inheriting their group's limit share one budget; an own limit has its own. */
  bucket: string;
  /** What handlers see as `req.route` (one frozen object per route). */
  info: Readonly<Pick<FlatRoute, 'method' | 'path' | 'handler' | 'auth'>>;
  segments: Segment[];
};

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'rest' };

export class ManifestMountError extends Error {
  override name = 'ManifestMountError';
}

/**
 * Checks the manifest and the handlers together, before anything is mounted: an invalid
 * manifest, a handler named there but missing, a handler not named there, or an auth mode
 * without what it needs all stop start-up with a message naming the route.
 */
export function compileRoutes(
  input: ManifestInput | Manifest,
  opts: MountOptions,
): { manifest: Manifest; routes: CompiledRoute[] } {
  const checked = validateManifest(input);
  if (!checked.ok) {
    throw new ManifestMountError(`The access manifest is invalid:\n${formatManifestIssues(checked.issues)}`);
  }
  const manifest = checked.manifest;
  const flat = flattenRoutes(manifest);
  const handlers = opts.handlers ?? {};
  const problems: string[] = [];
  for (const r of flat) {
    if (typeof handlers[r.handler] !== 'function') {
      problems.push(`handler "${r.handler}" for ${r.method} ${r.path} is missing from handlers`);
    }
  }
  const named = new Set(flat.map((r) => r.handler));
  for (const name of Object.keys(handlers)) {
    if (!named.has(name)) problems.push(`handler "${name}" is not named by any route in the manifest`);
  }
  if (flat.some((r) => r.scope !== null) && !opts.verifier) {
    problems.push('routes use apiKey auth, so pass `verifier` (createVerifier(...))');
  }
  if (flat.some((r) => r.auth === 'session') && !opts.session) {
    problems.push('routes use session auth, so pass `session` (a resolver or { issuer, audience })');
  }
  const signed = flat.filter((r) => r.verify);
  if (signed.length && !opts.secrets) {
    const names = [...new Set(signed.map((r) => r.verify!.secret))].join(', ');
    problems.push(
      `routes verify webhook signatures with ${names}, so pass \`secrets\` (the released secrets)`,
    );
  }
  if (problems.length) {
    throw new ManifestMountError(
      `Cannot mount ${manifest.project}'s routes:\n${problems.map((p) => `- ${p}`).join('\n')}`,
    );
  }
  const routes = flat.map((r) => {
    const group = manifest.routes[r.group]!;
    const spec = group.routes[r.key];
    const own = typeof spec === 'object' && spec.rateLimit !== undefined;
    return {
      ...r,
      fn: handlers[r.handler]!,
      label: `${r.method} ${r.path}`,
      bucket: own ? `${r.method} ${r.path}` : `group ${group.prefix}`,
      segments: toSegments(r.path),
      info: Object.freeze({ method: r.method, path: r.path, handler: r.handler, auth: r.auth }),
    };
  });
  return { manifest, routes };
}

function toSegments(path: string): Segment[] {
  if (path === '/') return [];
  return path
    .slice(1)
    .split('/')
    .map((s): Segment => {
      if (s === '*') return { kind: 'rest' };
      if (s.startsWith(':')) return { kind: 'param', name: s.slice(1) };
      return { kind: 'literal', value: s };
    });
}

/** Literal beats parameter beats rest, segment by segment, like find-my-way (Fastify) does. */
const RANK = { literal: 0, param: 1, rest: 2 } as const;
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    if (!x || !y) return x ? -1 : 1;
    if (RANK[x.kind] !== RANK[y.kind]) return RANK[x.kind] - RANK[y.kind];
  }
  return 0;
}

export type Match = { route: CompiledRoute; params: Record<string, string> };

/** The router for adapters without one of their own (fetch, node:http, Express middleware). */
export function createMatcher(routes: CompiledRoute[]): (method: string, path: string) => Match | null {
  const byMethod = new Map<string, CompiledRoute[]>();
  for (const r of [...routes].sort(compareSpecificity)) {
    const list = byMethod.get(r.method) ?? [];
    list.push(r);
    byMethod.set(r.method, list);
  }
  return (method, path) => {
    const list = byMethod.get(method === 'HEAD' && !byMethod.has('HEAD') ? 'GET' : method);
    if (!list) return null;
    const parts = path === '/' ? [] : path.slice(1).split('/');
    for (const route of list) {
      const params = matchSegments(route.segments, parts);
      if (params) return { route, params };
    }
    return null;
  };
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.kind === 'rest') {
      params['*'] = parts.slice(i).map(safeDecode).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === '') return null;
    if (seg.kind === 'literal') {
      if (part !== seg.value) return null;
    } else params[seg.name] = safeDecode(part);
  }
  return parts.length === segments.length ? params : null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export { parseRouteKey };
