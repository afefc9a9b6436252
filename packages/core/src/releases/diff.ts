import type { ReleaseDiff } from '../contract/releases.js';
import { flattenRoutes } from '../manifest/routes.js';
import type { Manifest } from '../manifest/schema.js';

/** One side of a comparison: the secret versions a release pins and the manifest in force. */
export type ReleaseSide = {
  /**
   * `refs`: what a value was resolved from (secret references), when known; a side without it
   * (an older release, a preview that could not resolve) compares by version only.
   */
  secrets: readonly {
    name: string;
    version: number;
    refs?: readonly { environment: string; name: string; version: number }[] | null;
  }[];
  manifest: Manifest | null;
};

type RouteSummary = ReleaseDiff['routes']['added'][number];

/** Key order must not make two equal grants look different. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function routesOf(manifest: Manifest | null): Map<string, RouteSummary> {
  const out = new Map<string, RouteSummary>();
  if (!manifest) return out;
  for (const r of flattenRoutes(manifest)) {
    out.set(`${r.method} ${r.path}`, {
      method: r.method,
      path: r.path,
      handler: r.handler,
      auth: r.auth,
      rateLimit: r.rateLimit?.text ?? null,
    });
  }
  return out;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * What going from `before` to `after` changes: secrets by name (a new version is a change),
 * scopes by name (a changed grant or description is a change), routes by method and path (a
 * changed handler, auth or rate limit is a change). Pure: the CLI, the server and the dashboard
 * show the same answer.
 */
export function diffReleases(before: ReleaseSide, after: ReleaseSide): ReleaseDiff {
  const old = new Map(before.secrets.map((s) => [s.name, s.version]));
  const now = new Map(after.secrets.map((s) => [s.name, s.version]));
  const oldRefs = new Map(before.secrets.map((s) => [s.name, s.refs]));
  const newRefs = new Map(after.secrets.map((s) => [s.name, s.refs]));
  const secrets: ReleaseDiff['secrets'] = { added: [], changed: [], removed: [] };
  for (const [name, version] of now) {
    const was = old.get(name);
    if (was === undefined) {
      secrets.added.push({ name, version });
      continue;
    }
    const via = changedRefs(oldRefs.get(name), newRefs.get(name));
    if (was !== version)
      secrets.changed.push({ name, from: was, to: version, ...(via.length ? { via } : {}) });
    else if (via.length) secrets.changed.push({ name, from: was, to: version, via });
  }
  for (const [name, version] of old) if (!now.has(name)) secrets.removed.push({ name, version });
  secrets.added.sort(byName);
  secrets.changed.sort(byName);
  secrets.removed.sort(byName);

  const oldScopes = before.manifest?.apiKeys.scopes ?? {};
  const newScopes = after.manifest?.apiKeys.scopes ?? {};
  const scopes: ReleaseDiff['scopes'] = { added: [], removed: [], changed: [] };
  for (const name of Object.keys(newScopes).sort()) {
    if (!(name in oldScopes)) scopes.added.push(name);
    else if (canonical(oldScopes[name]) !== canonical(newScopes[name])) scopes.changed.push(name);
  }
  for (const name of Object.keys(oldScopes).sort()) if (!(name in newScopes)) scopes.removed.push(name);

  const oldRoutes = routesOf(before.manifest);
  const newRoutes = routesOf(after.manifest);
  const routes: ReleaseDiff['routes'] = { added: [], removed: [], changed: [] };
  for (const [key, r] of [...newRoutes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const was = oldRoutes.get(key);
    if (!was) {
      routes.added.push(r);
      continue;
    }
    const changes = (['auth', 'rateLimit', 'handler'] as const)
      .filter((f) => was[f] !== r[f])
      .map((field) => ({ field, from: was[field], to: r[field] }));
    if (changes.length) routes.changed.push({ method: r.method, path: r.path, changes });
  }
  for (const [key, r] of [...oldRoutes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    if (!newRoutes.has(key)) routes.removed.push(r);

  const empty =
    [secrets.added, secrets.changed, secrets.removed, scopes.added, scopes.removed, scopes.changed].every(
      (l) => l.length === 0,
    ) && routes.added.length + routes.removed.length + routes.changed.length === 0;
  return { secrets, scopes, routes, empty };
}

type Refs = readonly { environment: string; name: string; version: number }[] | null | undefined;

/** The referenced secrets whose version differs between two resolutions (both known), by key. */
function changedRefs(a: Refs, b: Refs): string[] {
  if (a === undefined || b === undefined) return [];
  const key = (r: { environment: string; name: string }) => `${r.environment}.${r.name}`;
  const x = new Map((a ?? []).map((r) => [key(r), r.version]));
  const y = new Map((b ?? []).map((r) => [key(r), r.version]));
  const out = new Set<string>();
  for (const [k, v] of y) if (x.get(k) !== v) out.add(k);
  for (const k of x.keys()) if (!y.has(k)) out.add(k);
  return [...out].sort();
}

/** One line per change, for terminals and logs (names and versions only, never values). */
export function describeReleaseDiff(d: ReleaseDiff): string[] {
  const lines: string[] = [];
  for (const s of d.secrets.added) lines.push(`+ secret ${s.name} (v${s.version})`);
  for (const s of d.secrets.changed) {
    const versions = s.from === s.to ? `v${s.from}` : `v${s.from} → v${s.to}`;
    const via = s.via?.length ? `, through ${s.via.join(', ')}` : '';
    lines.push(`~ secret ${s.name} (${versions}${via})`);
  }
  for (const s of d.secrets.removed) lines.push(`- secret ${s.name} (was v${s.version})`);
  for (const s of d.scopes.added) lines.push(`+ scope ${s}`);
  for (const s of d.scopes.changed) lines.push(`~ scope ${s} (grants or description)`);
  for (const s of d.scopes.removed) lines.push(`- scope ${s}`);
  for (const r of d.routes.added) lines.push(`+ route ${r.method} ${r.path} (${r.auth})`);
  for (const r of d.routes.changed) {
    const what = r.changes.map((c) => `${c.field} ${c.from ?? 'none'} → ${c.to ?? 'none'}`).join(', ');
    lines.push(`~ route ${r.method} ${r.path}: ${what}`);
  }
  for (const r of d.routes.removed) lines.push(`- route ${r.method} ${r.path}`);
  return lines;
}
