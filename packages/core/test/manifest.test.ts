import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deriveKeyPrefix,
  environmentNameError,
  flattenRoutes,
  formatManifestPath,
  generateToken,
  HTTP_METHODS,
  keyPrefixError,
  type Manifest,
  type ManifestInput,
  normalizeKeyPrefix,
  parseRateLimit,
  parseToken,
  projectNameError,
  RATE_WINDOWS,
  scopeCovers,
  validateManifest,
} from '../src/index.js';

/** The SPEC section 6 example. */
const example = (): ManifestInput => ({
  project: 'acme',
  apiKeys: {
    scopes: {
      read: { grants: { Project: ['read'], Task: ['read'] } },
      writer: { grants: { Project: ['read'], Task: ['read', 'write'] } },
    },
  },
  routes: [
    {
      prefix: '/v1',
      auth: 'apiKey:read',
      rateLimit: '1000/minute',
      routes: {
        'GET /projects': 'listProjects',
        'GET /projects/:projectId': 'getProject',
        'POST /projects/:projectId/tasks': { handler: 'createTask', auth: 'apiKey:writer' },
      },
    },
    { prefix: '/app', auth: 'session', routes: { 'GET /me/export': 'exportMyData' } },
    { prefix: '/webhooks', auth: 'none', routes: { 'POST /github': 'githubWebhook' } },
  ],
});

function valid(input: unknown): Manifest {
  const r = validateManifest(input);
  if (!r.ok) throw new Error(`expected valid, got ${JSON.stringify(r.issues)}`);
  return r.manifest;
}

function issuesOf(input: unknown) {
  const r = validateManifest(input);
  if (r.ok) throw new Error('expected issues');
  return r.issues;
}

// biome-ignore lint/suspicious/noExplicitAny: tests poke at arbitrary shapes on purpose
type Loose = any;

describe('validateManifest', () => {
  it('accepts the SPEC example and fills defaults', () => {
    const m = valid(example());
    expect(Object.keys(m.apiKeys.scopes)).toEqual(['read', 'writer']);
    expect(valid({ project: 'bare' })).toEqual({ project: 'bare', apiKeys: { scopes: {} }, routes: [] });
  });

  it('names the undeclared scope, the field, and the declared ones', () => {
    const m: Loose = example();
    m.routes[0].routes['GET /projects'] = { handler: 'listProjects', auth: 'apiKey:reed' };
    expect(issuesOf(m)).toEqual([
      {
        path: 'routes[0].routes["GET /projects"].auth',
        message: 'scope "reed" is not declared; declared: read, writer',
      },
    ]);
    const none: Loose = {
      project: 'x',
      routes: [{ prefix: '/', auth: 'apiKey:read', routes: { 'GET /': 'h' } }],
    };
    expect(issuesOf(none)[0]).toEqual({
      path: 'routes[0].auth',
      message: 'scope "read" is not declared; no scopes are declared (add them under apiKeys.scopes)',
    });
  });

  it('refuses unknown fields at every level, listing the allowed ones', () => {
    const m: Loose = example();
    m.extra = 1;
    m.apiKeys.other = 1;
    m.apiKeys.scopes.read.grant = {};
    m.routes[1].auth_ = 'x';
    m.routes[0].routes['GET /projects/:projectId'] = { handler: 'getProject', rate: '1/second' };
    const issues = issuesOf(m);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'extra', message: 'unknown field; allowed: project, apiKeys, routes' },
        { path: 'apiKeys.other', message: 'unknown field; allowed: scopes' },
        { path: 'apiKeys.scopes.read.grant', message: 'unknown field; allowed: grants, description' },
        { path: 'routes[1].auth_', message: 'unknown field; allowed: prefix, auth, rateLimit, routes' },
        {
          path: 'routes[0].routes["GET /projects/:projectId"].rate',
          message: 'unknown field; allowed: handler, auth, rateLimit, verify',
        },
      ]),
    );
    expect(issues).toHaveLength(5);
  });

  it('checks methods, paths, handlers, auth modes and rate limits with a message per field', () => {
    const m: Loose = example();
    const g = m.routes[0].routes;
    g['FETCH /x'] = 'x';
    g['get /y'] = 'y';
    g['GET y'] = 'y';
    g['GET /a//b'] = 'y';
    g['GET /a/'] = 'y';
    g['GET /a/:1'] = 'y';
    g['GET /ok'] = 'not-an-identifier';
    g['GET /num'] = 42;
    m.routes[1].rateLimit = '10/week';
    m.routes[2].auth = 'apikey:read';
    m.routes[2].prefix = 'hooks';
    const byPath = Object.fromEntries(issuesOf(m).map((i) => [i.path, i.message]));
    expect(byPath).toMatchObject({
      'routes[0].routes["FETCH /x"]': expect.stringContaining('method "FETCH" is not one of GET, POST'),
      'routes[0].routes["get /y"]': expect.stringContaining('(write GET)'),
      'routes[0].routes["GET y"]': 'path "y" must start with /',
      'routes[0].routes["GET /a//b"]': expect.stringContaining('empty segment'),
      'routes[0].routes["GET /a/"]': 'path "/a/" must not end with / (write /a)',
      'routes[0].routes["GET /a/:1"]': expect.stringContaining('not a valid parameter'),
      'routes[0].routes["GET /ok"]': expect.stringContaining(
        'handler "not-an-identifier" is not a valid name',
      ),
      'routes[0].routes["GET /num"]':
        'expected a handler name or { handler, auth?, rateLimit? }, got a number',
      'routes[1].rateLimit': expect.stringContaining('e.g. 1000/minute'),
      'routes[2].auth': '"apikey:read" is not an auth mode: write apiKey:read',
      'routes[2].prefix': '"hooks" must start with /',
    });
  });

  it('checks scope names, entities and actions', () => {
    const m: Loose = example();
    m.apiKeys.scopes.Admin = { grants: { Task: ['read'] } };
    m.apiKeys.scopes['orders:read'] = { grants: { 'bad entity': ['read'] } };
    m.apiKeys.scopes.empty = { grants: {} };
    m.apiKeys.scopes.twice = { grants: { Task: ['read', 'read'] } };
    m.apiKeys.scopes.none = { grants: { Task: [] } };
    const byPath = Object.fromEntries(issuesOf(m).map((i) => [i.path, i.message]));
    expect(byPath).toMatchObject({
      'apiKeys.scopes.Admin': expect.stringContaining('scope name "Admin" is not valid'),
      'apiKeys.scopes["orders:read"].grants["bad entity"]': expect.stringContaining('entity "bad entity"'),
      'apiKeys.scopes.empty.grants': expect.stringContaining('must grant something'),
      'apiKeys.scopes.twice.grants.Task[1]': '"read" is listed twice',
      'apiKeys.scopes.none.grants.Task': expect.stringContaining('at least one action'),
    });
  });

  it('refuses a method and path declared twice once prefixes are applied', () => {
    const m: Loose = example();
    m.routes.push({ prefix: '/v1/projects', auth: 'none', routes: { 'GET /:id': 'again' } });
    expect(issuesOf(m)).toEqual([
      {
        path: 'routes[3].routes["GET /:id"]',
        message: 'GET /v1/projects/:id is already declared at routes[0].routes["GET /projects/:projectId"]',
      },
    ]);
    // The same path with another method is a different route.
    m.routes[3].routes = { 'DELETE /:id': 'remove' };
    expect(validateManifest(m).ok).toBe(true);
  });

  it('refuses a parameter repeated across prefix and path', () => {
    const m = { project: 'x', routes: [{ prefix: '/a/:id', auth: 'none', routes: { 'GET /b/:id': 'h' } }] };
    expect(issuesOf(m)[0]!.message).toBe('/a/:id/b/:id uses the parameter :id twice');
  });

  it('says what is missing or of the wrong type', () => {
    expect(issuesOf(null)).toEqual([{ path: '(manifest)', message: 'expected an object, got null' }]);
    expect(issuesOf({})).toEqual([{ path: 'project', message: 'is required (a string)' }]);
    expect(issuesOf({ project: 'x', routes: {} })).toEqual([
      { path: 'routes', message: 'expected an array, got an object' },
    ]);
    expect(issuesOf({ project: 'Acme' })[0]!.message).toContain('try "acme"');
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        const r = validateManifest(input);
        if (!r.ok) for (const i of r.issues) expect(i.path.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('formatManifestPath', () => {
  it('uses dots for identifiers and brackets for indexes and other keys', () => {
    expect(formatManifestPath(['routes', 0, 'routes', 'GET /x', 'auth'])).toBe(
      'routes[0].routes["GET /x"].auth',
    );
    expect(formatManifestPath(['apiKeys', 'scopes', 'orders:read'])).toBe('apiKeys.scopes["orders:read"]');
    expect(formatManifestPath([])).toBe('(manifest)');
  });
});

describe('parseRateLimit', () => {
  it('parses n/window', () => {
    expect(parseRateLimit('1000/minute')).toEqual({
      limit: 1000,
      window: 'minute',
      windowMs: 60_000,
      text: '1000/minute',
    });
    for (const bad of ['0/minute', '10/week', '10 / minute', 'minute', '1.5/second', 10, '-1/day']) {
      expect(parseRateLimit(bad)).toBeNull();
    }
  });

  it('round-trips every count and window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000_000 }),
        fc.constantFrom(...(Object.keys(RATE_WINDOWS) as (keyof typeof RATE_WINDOWS)[])),
        (n, window) => {
          const r = parseRateLimit(`${n}/${window}`);
          expect(r).toEqual({ limit: n, window, windowMs: RATE_WINDOWS[window], text: `${n}/${window}` });
        },
      ),
    );
  });
});

describe('flattenRoutes', () => {
  it('joins prefixes and applies group defaults unless a route overrides them', () => {
    const flat = flattenRoutes(valid(example()));
    expect(
      flat.map((r) => [r.method, r.path, r.handler, r.auth, r.scope, r.rateLimit?.text ?? null]),
    ).toEqual([
      ['GET', '/v1/projects', 'listProjects', 'apiKey:read', 'read', '1000/minute'],
      ['GET', '/v1/projects/:projectId', 'getProject', 'apiKey:read', 'read', '1000/minute'],
      ['POST', '/v1/projects/:projectId/tasks', 'createTask', 'apiKey:writer', 'writer', '1000/minute'],
      ['GET', '/app/me/export', 'exportMyData', 'session', null, null],
      ['POST', '/webhooks/github', 'githubWebhook', 'none', null, null],
    ]);
  });

  it('treats a root prefix and a root path as joining slashes', () => {
    const m = valid({
      project: 'x',
      routes: [
        { prefix: '/', auth: 'none', routes: { 'GET /': 'home', 'GET /a': 'a' } },
        {
          prefix: '/v2',
          auth: 'none',
          rateLimit: '5/second',
          routes: { 'GET /': { handler: 'v2', rateLimit: '1/day' } },
        },
      ],
    });
    expect(flattenRoutes(m).map((r) => [r.path, r.rateLimit?.text ?? null])).toEqual([
      ['/', null],
      ['/a', null],
      ['/v2', '1/day'],
    ]);
  });
});

const scopeName = fc.stringMatching(/^[a-z][a-z0-9_.:-]{0,10}$/);
const entity = fc.constantFrom('Project', 'Task', 'Invoice', 'User', 'order_line');
const action = fc.constantFrom('read', 'write', 'delete', 'export');
const grants = fc.dictionary(entity, fc.uniqueArray(action, { minLength: 1 }), { minKeys: 1 });
const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9-]{1,8}$/),
  fc.stringMatching(/^:[a-z][a-zA-Z0-9]{0,5}$/),
);
const routePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);

/** Valid manifests: declared scopes, auth that names them, unique method+path (and params) per group. */
const manifestArb = fc
  .dictionary(scopeName, fc.record({ grants }), { minKeys: 1, maxKeys: 5 })
  .chain((scopes) => {
    const names = Object.keys(scopes);
    const auth = fc.oneof(
      fc.constantFrom(...names).map((s) => `apiKey:${s}`),
      fc.constantFrom('session', 'none'),
    );
    const group = (i: number) =>
      fc.record({
        prefix: fc.constant(`/g${i}`),
        auth,
        routes: fc
          .uniqueArray(fc.tuple(fc.constantFrom(...HTTP_METHODS), routePath), {
            minLength: 1,
            maxLength: 6,
            selector: ([m, p]) => `${m} ${p.replace(/\/:[^/]+/g, '/:')}`,
          })
          .map((entries) =>
            Object.fromEntries(
              entries
                .filter(([, p]) => {
                  const params = p.split('/').filter((s) => s.startsWith(':'));
                  return new Set(params).size === params.length;
                })
                .map(([m, p], k) => [`${m} ${p}`, k % 2 ? `h${k}` : { handler: `h${k}`, auth: 'none' }]),
            ),
          ),
      });
    return fc.record({
      project: fc.constant('prop-test'),
      apiKeys: fc.constant({ scopes }),
      routes: fc
        .integer({ min: 0, max: 3 })
        .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => group(i)))),
    });
  });

describe('properties', () => {
  it('generated valid manifests validate, and flatten to one route per declaration under its prefix', () => {
    fc.assert(
      fc.property(manifestArb, (input) => {
        const m = valid(input);
        const flat = flattenRoutes(m);
        const declared = m.routes.reduce((n, g) => n + Object.keys(g.routes).length, 0);
        expect(flat).toHaveLength(declared);
        for (const r of flat) {
          expect(r.path.startsWith(m.routes[r.group]!.prefix)).toBe(true);
          if (r.scope) expect(Object.keys(m.apiKeys.scopes)).toContain(r.scope);
        }
      }),
    );
  });

  it('pointing any route at an undeclared scope is reported at exactly that field', () => {
    fc.assert(
      fc.property(manifestArb, fc.nat(), (input, pick) => {
        const groups = input.routes as Loose[];
        fc.pre(groups.some((g) => Object.keys(g.routes).length > 0));
        const withRoutes = groups
          .map((g, i) => [g, i] as const)
          .filter(([g]) => Object.keys(g.routes).length);
        const [group, gi] = withRoutes[pick % withRoutes.length]!;
        const key = Object.keys(group.routes)[pick % Object.keys(group.routes).length]!;
        const handler = typeof group.routes[key] === 'string' ? group.routes[key] : group.routes[key].handler;
        group.routes[key] = { handler, auth: 'apiKey:undeclared-scope' };
        const issues = issuesOf(input);
        expect(issues).toContainEqual({
          path: formatManifestPath(['routes', gi, 'routes', key, 'auth']),
          message: expect.stringContaining('scope "undeclared-scope" is not declared'),
        });
      }),
    );
  });

  it('scopeCovers is reflexive, follows grant inclusion, and is transitive', () => {
    fc.assert(
      fc.property(manifestArb, (input) => {
        const m = valid(input);
        const names = Object.keys(m.apiKeys.scopes);
        const includes = (a: string, b: string) =>
          Object.entries(m.apiKeys.scopes[b]!.grants).every(([e, acts]) =>
            acts.every((x) => m.apiKeys.scopes[a]!.grants[e]?.includes(x)),
          );
        for (const a of names) {
          expect(scopeCovers(m, a, a)).toBe(true);
          expect(scopeCovers(m, a, 'not-declared')).toBe(false);
          expect(scopeCovers(m, 'not-declared', a)).toBe(false);
          for (const b of names) {
            expect(scopeCovers(m, a, b)).toBe(includes(a, b));
            for (const c of names) {
              if (scopeCovers(m, a, b) && scopeCovers(m, b, c)) expect(scopeCovers(m, a, c)).toBe(true);
            }
          }
        }
      }),
    );
  });

  it('scopeCovers on the SPEC example: writer covers read, not the other way', () => {
    const m = valid(example());
    expect(scopeCovers(m, 'writer', 'read')).toBe(true);
    expect(scopeCovers(m, 'read', 'writer')).toBe(false);
    expect(scopeCovers(m, 'toString', 'read')).toBe(false);
  });
});

describe('names and key prefixes', () => {
  it('checks project and environment names and suggests the standard environments', () => {
    expect(projectNameError('acme-api')).toBeNull();
    expect(projectNameError('1acme')).toContain('lowercase letter');
    expect(environmentNameError('production')).toBeNull();
    const msg = environmentNameError('Prod_1')!;
    expect(msg).toContain('development, staging, production, preview');
  });

  it('derives a valid key prefix from any valid project name', () => {
    expect(deriveKeyPrefix('acme')).toBe('acme_');
    expect(deriveKeyPrefix('acme-api')).toBe('acmeapi_');
    expect(deriveKeyPrefix('lk')).toBe('lkapp_');
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,39}$/), (name) => {
        const prefix = deriveKeyPrefix(name);
        expect(keyPrefixError(prefix)).toBeNull();
        expect(parseToken(generateToken(prefix))?.prefix).toBe(prefix);
      }),
    );
  });

  it('refuses reserved and malformed prefixes', () => {
    expect(keyPrefixError('lk_pat_')).toContain('reserved');
    expect(keyPrefixError('lk_')).toContain('reserved');
    expect(keyPrefixError('Acme_')).toContain('not a valid key prefix');
    expect(keyPrefixError('acme_live_')).toBeNull();
    expect(normalizeKeyPrefix(' Acme ')).toBe('acme_');
  });
});
