import { endpointList } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { useTestApp } from '../helpers/app.js';
import { expectRouteIsGuarded, makeSecurityFixture } from '../helpers/security.js';

const t = useTestApp();

describe('every /api/v1 route', () => {
  it('declares a permission and is guarded by the shared security cases', async () => {
    const fx = await makeSecurityFixture(t);
    // Driven by the contract table, so a new entry is covered by default.
    const byId = new Map(t.app.routeTable.map((r) => [r.id, r]));
    const guarded = endpointList
      .filter((e) => e.endpoint.permission !== 'public')
      .map((e) => byId.get(e.id)!);
    expect(guarded.length).toBeGreaterThan(5);
    for (const route of guarded) await expectRouteIsGuarded(t, fx, route);
  });

  it('are exactly the entries of the contract table', () => {
    const registered = t.app.routeTable.map((r) => `${r.id} ${r.method} ${r.url} ${r.permission}`).sort();
    const declared = endpointList
      .map(({ id, endpoint: e }) => `${id} ${e.method} ${e.path} ${e.permission}`)
      .sort();
    expect(registered).toEqual(declared);
  });

  it("carries no cookie machinery: cookies live in the pages' scope only", () => {
    // @fastify/cookie adds an onSend hook and reply fields to every answer of the scope it is in.
    expect(t.app.hasReplyDecorator('setCookie')).toBe(false);
    expect(t.app.hasRequestDecorator('cookies')).toBe(false);
  });

  it('only the OpenAPI document is public', () => {
    const publicRoutes = t.app.routeTable.filter((r) => r.permission === 'public').map((r) => r.url);
    expect(publicRoutes).toEqual(['/api/v1/openapi.json']);
  });
});

describe('the server refuses to start', () => {
  it('when an /api/v1 route is not an entry of the contract table', async () => {
    const { routeModules } = await import('../../src/routes/index.js');
    routeModules.push((app) => {
      app.get('/api/v1/unguarded', { config: { permission: 'self' } }, async () => ({ ok: true }));
    });
    try {
      await expect(buildApp({ database: t.database, config: defaultConfig() })).rejects.toThrow(
        /GET \/api\/v1\/unguarded is not an entry of the contract table/,
      );
    } finally {
      routeModules.pop();
    }
  });

  it("when a route claims a table entry but not that entry's path or permission", async () => {
    const { me } = await import('@latchkey/core');
    const { routeModules } = await import('../../src/routes/index.js');
    routeModules.push((app) => {
      app.get('/api/v1/me2', { config: { permission: 'self', endpoint: me.get } }, async () => ({}));
    });
    try {
      await expect(buildApp({ database: t.database, config: defaultConfig() })).rejects.toThrow(
        /GET \/api\/v1\/me2 is not an entry of the contract table/,
      );
    } finally {
      routeModules.pop();
    }
  });

  it('when an entry of the contract table has no handler', async () => {
    const { routeModules } = await import('../../src/routes/index.js');
    const { meRoutes } = await import('../../src/routes/v1/me.js');
    const at = routeModules.indexOf(meRoutes);
    routeModules.splice(at, 1);
    try {
      await expect(buildApp({ database: t.database, config: defaultConfig() })).rejects.toThrow(
        /declares endpoints that have no handler: me\.get \(GET \/api\/v1\/me\)/,
      );
    } finally {
      routeModules.splice(at, 0, meRoutes);
    }
  });
});
