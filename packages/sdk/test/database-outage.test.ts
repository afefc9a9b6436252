import { generateToken } from '@latchkey/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/src/store/db.js';
import { actorIn, makeProject, type ProjectFixture } from '../../server/test/api-keys/fixtures.js';
import { createTestApp, type TestApp } from '../../server/test/helpers/app.js';
import { useTestDatabase } from '../../server/test/helpers/db.js';
import {
  allowConnections,
  refuseConnections,
  startProxy,
  until,
} from '../../server/test/helpers/db-outage.js';
import { createVerifier, type Verifier } from '../src/index.js';

/**
 * A database outage seen from both sides: the server's pool and listener go through a TCP proxy
 * (or the database refuses connections), the SDK talks to the server. Cached keys keep working,
 * unknown ones get a quick 503, /health and stats() say what is degraded, and a revocation made
 * while the node could not hear it is caught up from the shared key-event log afterwards.
 */
const db = useTestDatabase();
let proxy: Awaited<ReturnType<typeof startProxy>>;
let t: TestApp;
let p: ProjectFixture;
let v: Verifier;
let url: string;
const GRACE_MS = 60_000;

beforeAll(async () => {
  proxy = await startProxy(new URL(db.url));
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  t = await createTestApp(openDatabase(viaProxy.toString(), { queryTimeoutMs: 1500 }), {
    verifyOutageGraceMs: GRACE_MS,
  });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  p = await makeProject(t);
  const appKey = await t.app.services.platformKeys.create(await actorIn(t, p.owner, p.orgId), {
    name: 'outage tests',
    scopes: ['api_keys:read', 'logs:write'],
  });
  v = createVerifier({
    apiUrl: url,
    token: appKey.token,
    org: p.orgId,
    project: p.name,
    environment: 'production',
    requestTimeoutMs: 3000,
    usage: false,
  });
  await v.ready();
});
afterAll(async () => {
  await v?.close();
  await t?.app.close();
  await t?.database.close();
  await proxy?.close();
});

/** The server's own cached path: POST /api/v1/verify. */
const serverVerify = (key: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: t.auth(p.owner.token), payload: { key } });
const listening = () => t.app.services.apiKeys.verifyCacheState().listening;
const health = async () => (await t.app.inject({ url: '/health' })).json();

describe('while the database refuses connections', () => {
  it('cached keys verify on the server and in the SDK, unknown keys get a quick 503, health says degraded', async () => {
    const cached = await p.createKey();
    const uncached = await p.createKey();
    expect((await serverVerify(cached.token)).json()).toMatchObject({ valid: true, code: 'VALID' });
    expect((await v.verify(cached.token)).valid).toBe(true);

    await refuseConnections(db.name);
    try {
      await until(() => !listening(), 5000);
      await until(() => v.stats().degraded.includes('listen'), 5000);
      // Past the caller cache's second: the caller's standing is served stale too, within the grace.
      t.clock.advance(2000);

      const started = Date.now();
      const hit = await serverVerify(cached.token);
      expect(hit.statusCode).toBe(200);
      expect(hit.json()).toMatchObject({ valid: true, code: 'VALID' });
      expect((await v.verify(cached.token)).valid).toBe(true);

      const miss = await serverVerify(uncached.token);
      expect(miss.statusCode).toBe(503);
      expect(miss.json()).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE' } });
      expect(miss.headers['retry-after']).toBe('5');
      expect(await v.verify(uncached.token).catch((e) => e.code)).toBe('SERVICE_UNAVAILABLE');
      expect(await v.verify(generateToken(p.prefix)).catch((e) => e.code)).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(5000);

      const res = await t.app.inject({ url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        status: 'degraded',
        database: 'unreachable',
        listen: 'down',
        degraded: ['database', 'listen'],
        verifyCache: { serving: true },
      });
      expect(v.stats()).toMatchObject({ connected: true, degraded: ['listen'] });
      expect(v.stats().offlineUntil).toBeGreaterThan(Date.now());

      // The staleness bound: past the grace the server's cache serves nothing.
      t.clock.advance(GRACE_MS);
      expect((await serverVerify(cached.token)).statusCode).toBe(503);
      expect((await health()).verifyCache.serving).toBe(false);
    } finally {
      await allowConnections(db.name);
    }

    await until(async () => (await health()).status === 'ok', 15_000);
    await until(() => v.stats().degraded.length === 0, 5000);
    expect((await serverVerify(cached.token)).json()).toMatchObject({ valid: true });
    expect((await serverVerify(uncached.token)).json()).toMatchObject({ valid: true });
    expect((await v.verify(uncached.token)).valid).toBe(true);
  }, 60_000);
});

describe('a revocation the node could not hear', () => {
  it('is caught up from the key-event log when the listener is back, on the server and in the SDK', async () => {
    const key = await p.createKey();
    expect((await serverVerify(key.token)).json()).toMatchObject({ valid: true });
    expect((await v.verify(key.token)).valid).toBe(true);

    proxy.cut();
    const direct = new pg.Client({ connectionString: db.url });
    try {
      await until(() => !listening(), 5000);
      await until(() => v.stats().degraded.includes('listen'), 5000);
      // Another path to the database: the change is logged and notified, and this node hears nothing.
      await direct.connect();
      await direct.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [key.id]);
      // Within the documented staleness bound, both caches still answer what they knew.
      expect((await serverVerify(key.token)).json()).toMatchObject({ valid: true });
      expect((await v.verify(key.token)).valid).toBe(true);
    } finally {
      await direct.end();
      proxy.heal();
    }

    await until(() => listening(), 15_000);
    expect((await serverVerify(key.token)).json()).toMatchObject({ valid: false, code: 'REVOKED' });
    await until(async () => (await v.verify(key.token)).code === 'REVOKED', 5000);
    expect(v.stats().degraded).toEqual([]);
  }, 60_000);
});

describe('under a network partition (packets dropped, nothing refused)', () => {
  it('notices within seconds, then cached keys answer at once and unknown ones get 503 within the timeout', async () => {
    const cached = await p.createKey();
    const uncached = await p.createKey();
    expect((await serverVerify(cached.token)).json()).toMatchObject({ valid: true });
    expect((await v.verify(cached.token)).valid).toBe(true);

    proxy.partition();
    try {
      // The listener's ping (every 5 s, 3 s to answer) notices the partition.
      const noticed = await until(() => !listening(), 12_000);
      expect(noticed).toBeLessThan(9000);
      t.clock.advance(2000);
      // The first look-up of the caller may wait for the query timeout; after that, at once.
      expect((await serverVerify(cached.token)).json()).toMatchObject({ valid: true });
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        t.clock.advance(1100);
        expect((await serverVerify(cached.token)).json()).toMatchObject({ valid: true });
      }
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await v.verify(cached.token)).valid).toBe(true);

      const missStarted = Date.now();
      const miss = await serverVerify(uncached.token);
      expect(miss.statusCode).toBe(503);
      expect(miss.json()).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE' } });
      expect(Date.now() - missStarted).toBeLessThan(6000);
      expect((await health()).degraded).toContain('listen');
    } finally {
      proxy.heal();
    }
    await until(async () => (await health()).status === 'ok', 20_000);
    expect((await serverVerify(uncached.token)).json()).toMatchObject({ valid: true });
  }, 60_000);
});
