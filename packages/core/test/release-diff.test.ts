import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeReleaseDiff, diffReleases, type Manifest, type ReleaseSide } from '../src/index.js';

const names = fc.constantFrom('A', 'B', 'C', 'DB_URL', 'STRIPE_KEY', 'TOKEN');
const pins = fc.uniqueArray(fc.record({ name: names, version: fc.integer({ min: 1, max: 5 }) }), {
  selector: (p) => p.name,
});
const manifest = fc
  .record({
    scopes: fc.dictionary(fc.constantFrom('read', 'write', 'admin'), fc.constantFrom('read', 'write'), {
      maxKeys: 3,
    }),
    routes: fc.dictionary(
      fc.constantFrom('GET /a', 'POST /a', 'GET /b', 'DELETE /c'),
      fc.record({
        auth: fc.constantFrom('none', 'session', 'apiKey:read'),
        rate: fc.option(fc.constantFrom('10/minute', '5/second')),
      }),
      { maxKeys: 4 },
    ),
  })
  .map(
    ({ scopes, routes }): Manifest => ({
      project: 'acme',
      apiKeys: {
        scopes: Object.fromEntries(Object.entries(scopes).map(([k, a]) => [k, { grants: { Task: [a] } }])),
      },
      routes: [
        {
          prefix: '/api',
          auth: 'session',
          routes: Object.fromEntries(
            Object.entries(routes).map(([k, r]) => [
              k,
              { handler: 'h', auth: r.auth, ...(r.rate ? { rateLimit: r.rate } : {}) },
            ]),
          ),
        },
      ],
    }),
  );
const side = fc.record({ secrets: pins, manifest: fc.option(manifest) }) as fc.Arbitrary<ReleaseSide>;

describe('diffReleases', () => {
  it('is empty exactly when both sides pin the same versions and manifest', () => {
    fc.assert(
      fc.property(side, side, (a, b) => {
        expect(diffReleases(a, a).empty).toBe(true);
        const d = diffReleases(a, b);
        if (d.secrets.added.length + d.secrets.changed.length + d.secrets.removed.length === 0) {
          const key = (s: ReleaseSide) => s.secrets.map((p) => `${p.name}@${p.version}`).sort();
          expect(key(a)).toEqual(key(b));
        }
      }),
    );
  });

  it('is the mirror image when the sides swap', () => {
    fc.assert(
      fc.property(side, side, (a, b) => {
        const ab = diffReleases(a, b);
        const ba = diffReleases(b, a);
        expect(ab.secrets.added.map((s) => s.name)).toEqual(ba.secrets.removed.map((s) => s.name));
        expect(ab.secrets.changed.map((c) => [c.name, c.from, c.to])).toEqual(
          ba.secrets.changed.map((c) => [c.name, c.to, c.from]),
        );
        expect(ab.scopes.added).toEqual(ba.scopes.removed);
        expect(ab.routes.added).toEqual(ba.routes.removed);
        expect(ab.empty).toBe(ba.empty);
      }),
    );
  });

  it('accounts for every secret name of both sides exactly once', () => {
    fc.assert(
      fc.property(side, side, (a, b) => {
        const d = diffReleases(a, b);
        const touched = [...d.secrets.added, ...d.secrets.changed, ...d.secrets.removed].map((s) => s.name);
        const same = b.secrets.filter((s) =>
          a.secrets.some((o) => o.name === s.name && o.version === s.version),
        );
        expect(new Set(touched).size).toBe(touched.length);
        expect(touched.length + same.length).toBe(
          new Set([...a.secrets, ...b.secrets].map((s) => s.name)).size,
        );
        expect(describeReleaseDiff(d).length).toBe(
          touched.length +
            d.scopes.added.length +
            d.scopes.changed.length +
            d.scopes.removed.length +
            d.routes.added.length +
            d.routes.changed.length +
            d.routes.removed.length,
        );
      }),
    );
  });

  it('names versions, scopes and route auth and rate-limit changes', () => {
    const before: ReleaseSide = {
      secrets: [
        { name: 'A', version: 1 },
        { name: 'B', version: 2 },
      ],
      manifest: {
        project: 'acme',
        apiKeys: { scopes: { read: { grants: { Task: ['read'] } } } },
        routes: [
          { prefix: '/api', auth: 'apiKey:read', routes: { 'GET /tasks': 'list', 'POST /hook': 'hook' } },
        ],
      },
    };
    const after: ReleaseSide = {
      secrets: [
        { name: 'B', version: 3 },
        { name: 'C', version: 1 },
      ],
      manifest: {
        project: 'acme',
        apiKeys: { scopes: { write: { grants: { Task: ['write'] } } } },
        routes: [
          {
            prefix: '/api',
            auth: 'apiKey:read',
            routes: { 'GET /tasks': { handler: 'list', auth: 'session', rateLimit: '10/minute' } },
          },
        ],
      },
    };
    expect(describeReleaseDiff(diffReleases(before, after))).toEqual([
      '+ secret C (v1)',
      '~ secret B (v2 → v3)',
      '- secret A (was v1)',
      '+ scope write',
      '- scope read',
      '~ route GET /api/tasks: auth apiKey:read → session, rateLimit none → 10/minute',
      '- route POST /api/hook',
    ]);
  });
});
