import type { z } from 'zod';
import { joinRoutePath, parseRouteAuth, parseRouteKey, routeParamNames, routeShape } from './rules.js';
import { MANIFEST_FIELDS, type Manifest, ManifestSchema } from './schema.js';

export type ManifestIssue = { path: string; message: string };
export type ManifestValidation = { ok: true; manifest: Manifest } | { ok: false; issues: ManifestIssue[] };

type PathPart = string | number;

const IDENT_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['routes', 0, 'routes', 'GET /x', 'auth']` → `routes[0].routes["GET /x"].auth`. */
export function formatManifestPath(path: readonly PathPart[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (IDENT_RE.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out || '(manifest)';
}

/** Where an issue sits decides which fields were allowed there. */
function allowedAt(path: readonly PathPart[]): readonly string[] {
  const [a, , c] = path;
  if (path.length === 0) return MANIFEST_FIELDS.manifest;
  if (a === 'apiKeys' && path.length === 1) return MANIFEST_FIELDS.apiKeys;
  if (a === 'apiKeys' && path.length === 3) return MANIFEST_FIELDS.scope;
  if (a === 'routes' && path.length === 2) return MANIFEST_FIELDS.group;
  if (a === 'routes' && c === 'routes' && path.length === 4) return MANIFEST_FIELDS.route;
  return [];
}

function valueAt(input: unknown, path: readonly PathPart[]): unknown {
  let v = input;
  for (const part of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PathPart, unknown>)[part];
  }
  return v;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  object: 'an object',
  array: 'an array',
  record: 'an object',
  number: 'a number',
};

/** zod's issues, reworded for people and flattened to one `{ path, message }` per problem. */
function toIssues(
  input: unknown,
  zodIssues: readonly z.core.$ZodIssue[],
  base: PathPart[] = [],
): ManifestIssue[] {
  const out: ManifestIssue[] = [];
  for (const issue of zodIssues) {
    const path = [...base, ...(issue.path as PathPart[])];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedAt(path);
        for (const key of issue.keys) {
          out.push({
            path: formatManifestPath([...path, key]),
            message: `unknown field${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`,
          });
        }
        break;
      }
      case 'invalid_key':
        for (const inner of issue.issues)
          out.push({ path: formatManifestPath(path), message: inner.message });
        break;
      case 'invalid_union': {
        // A route is a handler name or an object: report against the form the author chose.
        const value = valueAt(input, path);
        const branch = typeof value === 'string' ? issue.errors[0] : issue.errors[1];
        if (value !== null && (typeof value === 'string' || typeof value === 'object') && branch) {
          out.push(...toIssues(input, branch, path));
        } else {
          out.push({
            path: formatManifestPath(path),
            message: `expected a handler name or { handler, auth?, rateLimit? }, got ${kindOf(value)}`,
          });
        }
        break;
      }
      case 'invalid_type': {
        const value = valueAt(input, path);
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        out.push({
          path: formatManifestPath(path),
          message:
            value === undefined ? `is required (${expected})` : `expected ${expected}, got ${kindOf(value)}`,
        });
        break;
      }
      default:
        out.push({ path: formatManifestPath(path), message: issue.message });
    }
  }
  return out;
}

/** Checks that need the whole manifest: scope references, duplicate routes, repeated params. */
function crossCheck(m: Manifest): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const declared = Object.keys(m.apiKeys.scopes);
  const seen = new Map<string, string>();

  const checkAuth = (auth: string | undefined, path: PathPart[]) => {
    const parsed = auth === undefined ? null : parseRouteAuth(auth);
    if (parsed?.mode !== 'apiKey' || declared.includes(parsed.scope)) return;
    const list = declared.length
      ? `declared: ${declared.join(', ')}`
      : 'no scopes are declared (add them under apiKeys.scopes)';
    issues.push({
      path: formatManifestPath(path),
      message: `scope "${parsed.scope}" is not declared; ${list}`,
    });
  };

  m.routes.forEach((group, g) => {
    checkAuth(group.auth, ['routes', g, 'auth']);
    for (const [key, spec] of Object.entries(group.routes)) {
      const at: PathPart[] = ['routes', g, 'routes', key];
      if (typeof spec === 'object') checkAuth(spec.auth, [...at, 'auth']);
      if (typeof spec === 'object' && spec.verify && (spec.auth ?? group.auth) !== 'none') {
        // A signature check on a route that already needs a key or session is a mistake to name.
        issues.push({
          path: formatManifestPath([...at, 'verify']),
          message: `verify is for auth "none" routes (webhooks); this route's auth is "${spec.auth ?? group.auth}"`,
        });
      }
      const parsed = parseRouteKey(key);
      if ('error' in parsed) continue;
      const full = joinRoutePath(group.prefix, parsed.path);
      const names = routeParamNames(full);
      const repeated = names.find((n, i) => names.indexOf(n) !== i);
      if (repeated) {
        issues.push({
          path: formatManifestPath(at),
          message: `${full} uses the parameter :${repeated} twice`,
        });
      }
      const shape = routeShape(parsed.method, full);
      const first = seen.get(shape);
      if (first) {
        issues.push({
          path: formatManifestPath(at),
          message: `${parsed.method} ${full} is already declared at ${first}`,
        });
      } else {
        seen.set(shape, formatManifestPath(at));
      }
    }
  });
  return issues;
}

/**
 * Validates an access manifest (SPEC section 6). Never throws: any input, however wrong, gives
 * either the normalised manifest or a list of issues, each naming the exact field.
 */
export function validateManifest(input: unknown): ManifestValidation {
  const parsed = ManifestSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: toIssues(input, parsed.error.issues) };
  const issues = crossCheck(parsed.data);
  return issues.length ? { ok: false, issues } : { ok: true, manifest: parsed.data };
}

/** Issues as lines for a terminal or an error message: `path: message`. */
export function formatManifestIssues(issues: readonly ManifestIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}
