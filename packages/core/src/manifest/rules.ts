/**
 * The small grammars inside an access manifest (SPEC section 6): scope names, auth modes, route
 * keys, paths and rate limits. Each parser returns null or an error string rather than throwing,
 * so the validator can point at the exact field and the SDK can reuse them at startup.
 */

/** App API-key scope names, e.g. `read`, `writer`, `orders:read`, `billing.export`. */
export const SCOPE_NAME_RE = /^[a-z][a-z0-9_.:-]{0,63}$/;
/** Entities in grants, e.g. `Project`, `Task`, `invoice_line`. */
export const ENTITY_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Actions in grants, e.g. `read`, `write`, `export`, `bulk-delete`. */
export const ACTION_RE = /^[a-z][a-z0-9_-]{0,31}$/;
/** Handler names are JavaScript identifiers, so `handlers.listProjects` can be looked up. */
export const HANDLER_RE = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const RATE_WINDOWS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type RateWindow = keyof typeof RATE_WINDOWS;
export type RouteRateLimit = { limit: number; window: RateWindow; windowMs: number; text: string };
export const MAX_RATE_LIMIT = 1_000_000_000;

const RATE_RE = /^(\d{1,10})\/(second|minute|hour|day)$/;

/** `1000/minute` → `{ limit: 1000, window: 'minute', windowMs: 60000 }`; null when malformed. */
export function parseRateLimit(text: unknown): RouteRateLimit | null {
  if (typeof text !== 'string') return null;
  const m = RATE_RE.exec(text.trim());
  if (!m) return null;
  const limit = Number(m[1]);
  if (limit < 1 || limit > MAX_RATE_LIMIT) return null;
  const window = m[2] as RateWindow;
  return { limit, window, windowMs: RATE_WINDOWS[window], text: `${limit}/${window}` };
}

export function rateLimitError(text: string): string | null {
  if (parseRateLimit(text)) return null;
  return `"${text}" is not a rate limit: use <count>/<second|minute|hour|day>, e.g. 1000/minute`;
}

export type RouteAuth = { mode: 'apiKey'; scope: string } | { mode: 'session' } | { mode: 'none' };

/** `apiKey:<scope>`, `session` or `none`; null when it is none of those. */
export function parseRouteAuth(text: string): RouteAuth | null {
  if (text === 'session') return { mode: 'session' };
  if (text === 'none') return { mode: 'none' };
  if (text.startsWith('apiKey:')) {
    const scope = text.slice('apiKey:'.length);
    return SCOPE_NAME_RE.test(scope) ? { mode: 'apiKey', scope } : null;
  }
  return null;
}

export function routeAuthError(text: string): string | null {
  if (parseRouteAuth(text)) return null;
  if (text.startsWith('apiKey:')) {
    return `"${text.slice(7)}" is not a valid scope name (lowercase letter first, then a-z 0-9 _ . : -)`;
  }
  const lower = text.toLowerCase();
  if (lower.startsWith('apikey:')) return `"${text}" is not an auth mode: write apiKey:${text.slice(7)}`;
  if (lower === 'session' || lower === 'none') return `"${text}" is not an auth mode: write ${lower}`;
  return `"${text}" is not an auth mode: use apiKey:<scope>, session or none`;
}

const PARAM_RE = /^:[A-Za-z_][A-Za-z0-9_]*$/;
const LITERAL_RE = /^[A-Za-z0-9._~@+-]+$/;

/**
 * Checks a route path or group prefix: `/`, or `/`-separated segments that are literals or
 * `:params`; a route path may end in `*`. Trailing slashes are refused so that two spellings of
 * one route cannot both be declared.
 */
export function routePathError(path: string, opts: { prefix?: boolean } = {}): string | null {
  if (!path.startsWith('/')) return `"${path}" must start with /`;
  if (path === '/') return null;
  if (path.endsWith('/')) return `"${path}" must not end with / (write ${path.replace(/\/+$/, '') || '/'})`;
  const segments = path.slice(1).split('/');
  for (const [i, seg] of segments.entries()) {
    if (seg === '') return `"${path}" has an empty segment (//)`;
    if (seg === '*' && !opts.prefix && i === segments.length - 1) continue;
    if (seg.startsWith(':')) {
      if (!PARAM_RE.test(seg))
        return `"${seg}" in "${path}" is not a valid parameter: use :name with letters, digits and _`;
      continue;
    }
    if (!LITERAL_RE.test(seg)) {
      return `"${seg}" in "${path}" is not a valid path segment: use letters, digits, - . _ ~ @ +, or :param`;
    }
  }
  return null;
}

export function routeParamNames(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1));
}

/** Routers match parameters by position, so `/a/:id` and `/a/:key` are one route. */
export function routeShape(method: string, path: string): string {
  return `${method} ${path.replace(/\/:[^/]+/g, '/:')}`;
}

export function joinRoutePath(prefix: string, path: string): string {
  const p = prefix === '/' ? '' : prefix;
  if (path === '/') return p || '/';
  return p + path;
}

export type RouteKey = { method: HttpMethod; path: string };

/** `'GET /projects/:projectId'` → method and path; an error string says what is wrong. */
export function parseRouteKey(key: string): RouteKey | { error: string } {
  const m = /^(\S+) (\S+)$/.exec(key);
  if (!m) return { error: `"${key}" must be "<METHOD> <path>", e.g. "GET /projects/:projectId"` };
  const method = m[1]!;
  const path = m[2]!;
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    const upper = method.toUpperCase();
    const tip = (HTTP_METHODS as readonly string[]).includes(upper) ? ` (write ${upper})` : '';
    return { error: `method "${method}" is not one of ${HTTP_METHODS.join(', ')}${tip}` };
  }
  const bad = routePathError(path);
  if (bad) return { error: `path ${bad}` };
  return { method: method as HttpMethod, path };
}
