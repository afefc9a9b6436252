import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { createTestApp, type SignedUp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { admin, startProxy } from '../helpers/db-outage.js';
import { capturedLogger } from '../helpers/logs.js';
import { waitFor } from '../helpers/wait-for.js';

const db = useTestDatabase();
let proxy: Awaited<ReturnType<typeof startProxy>>;
let t: TestApp;
let me: SignedUp;
const logs = capturedLogger('warn');

beforeAll(async () => {
  const url = new URL(db.url);
  proxy = await startProxy(url);
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  // As `latch server` opens it: every query bounded (1.5 s here, 5 s by default).
  const database = openDatabase(viaProxy.toString(), { queryTimeoutMs: 1500 });
  t = await createTestApp(database, {}, { logger: logs.logger });
  me = await t.signUp();
});
afterAll(async () => {
  await t?.app.close();
  await t?.database.close();
  await proxy?.close();
});

const createOrg = (name: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: t.auth(me.token), payload: { name } });

describe('a database outage', () => {
  it('answers 503 DATABASE_UNAVAILABLE with Retry-After while connections are refused, then recovers', async () => {
    expect((await createOrg('Before')).statusCode).toBe(201);
    await admin(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
    await admin(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}' AND pid <> pg_backend_pid()`,
    );
    try {
      const logStart = logs.lines.length;
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const res = await createOrg(`During ${i}`);
        expect(Date.now() - started).toBeLessThan(5000);
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE' } });
        expect(res.headers['retry-after']).toBe('5');
      }
      const health = await t.app.inject({ url: '/health' });
      expect(health.statusCode).toBe(503);
      // One warning for the outage, not an error with a stack per request.
      const outage = logs.lines.slice(logStart).filter((l) => l.includes('database unavailable'));
      expect(outage.length).toBe(1);
      expect(logs.lines.slice(logStart).some((l) => /"level":(50|"error")/.test(l))).toBe(false);
    } finally {
      await admin(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
    }
    await waitFor(
      'org creation to recover',
      async () => (await createOrg(`After ${Date.now()}`)).statusCode === 201,
      10_000,
    );
  });

  it('answers 503 within the query timeout when the network drops packets, then recovers', async () => {
    expect((await createOrg('Before partition')).statusCode).toBe(201);
    proxy.partition();
    try {
      const started = Date.now();
      const res = await createOrg('During partition');
      const took = Date.now() - started;
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE' } });
      // The 1.5 s query timeout (or the 5 s connect timeout for a new connection), never a hang.
      expect(took).toBeLessThan(6000);
    } finally {
      proxy.heal();
    }
    await waitFor(
      'org creation to recover after the partition',
      async () => (await createOrg(`After partition ${Date.now()}`)).statusCode === 201,
      15_000,
    );
  });
});
