import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { useTestApp } from '../helpers/app.js';
import { expectRouteIsGuarded, makeSecurityFixture } from '../helpers/security.js';

const t = useTestApp();

describe('every /api/v1 route', () => {
  it('declares a permission and is guarded by the shared security cases', async () => {
    const fx = await makeSecurityFixture(t);
    const guarded = t.app.routeTable.filter((r) => r.permission !== 'public');
    expect(guarded.length).toBeGreaterThan(5);
    for (const route of guarded) await expectRouteIsGuarded(t, fx, route);
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
  it('when a route declares no permission', async () => {
    const { routeModules } = await import('../../src/routes/index.js');
    routeModules.push((app) => {
      app.get('/api/v1/unguarded', async () => ({ ok: true }));
    });
    try {
      await expect(buildApp({ database: t.database, config: defaultConfig() })).rejects.toThrow(
        /GET \/api\/v1\/unguarded declares no valid permission/,
      );
    } finally {
      routeModules.pop();
    }
  });
});
