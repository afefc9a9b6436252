import { generateToken } from '@latchkey/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../packages/server/src/store/test-database.js';
import { deviceLogin } from './helpers/device-login.js';
import { type ExampleApp, setUpExampleProject, startExampleApp } from './helpers/example-app.js';
import { latch, stop, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

/**
 * Issue 16 item 3, measured as the issue did: the real server and the example app, the database
 * refusing connections. Keys verified before keep working through the app, unknown keys get 503,
 * both /health endpoints say what is degraded, and everything recovers on its own.
 */
const owner = tempDir('outage-owner');
let database: TestDatabase;
let server: RunningServer;
let app: ExampleApp;

const as = (args: string[]) => latch([...args, '--project', 'acme'], { configDir: owner.path });
const call = (path: string, key?: string) =>
  fetch(app.url + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
const appHealth = async () => (await call('/health')).json();

async function admin(text: string) {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function createKey(name: string): Promise<{ id: string; token: string }> {
  const res = await as(['api-keys', 'create', name, '--scope', 'read', '--env', 'production', '--json']);
  expect(res.code, res.stderr).toBe(0);
  return res.json();
}

beforeAll(async () => {
  database = await createTestDatabase(inject('adminUrl'));
  server = await startServer({ env: { LATCH_DATABASE_URL: database.url } });
  await deviceLogin(server.url, owner.path, 'ada@example.com');
  app = await startExampleApp({ apiUrl: server.url, token: await setUpExampleProject(owner.path) });
  await waitFor('the app to connect', async () => (await appHealth()).latchkey === 'connected');
}, 120_000);

afterAll(async () => {
  await admin(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS true`).catch(() => {});
  if (app) await stop(app.child);
  await server?.stop();
  await database?.drop();
  owner.remove();
});

describe('the example app through a database outage', () => {
  it('serves keys verified before, refuses unknown ones with 503, says degraded, recovers', async () => {
    const cached = await createKey('Cached');
    const later = await createKey('Not yet used');
    expect((await call('/v1/projects', cached.token)).status).toBe(200);

    await admin(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS false`);
    try {
      await admin(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database.name}' AND pid <> pg_backend_pid()`,
      );
      await waitFor('the app to say degraded', async () => (await appHealth()).latchkey === 'degraded');
      expect(await appHealth()).toMatchObject({ latchkey: 'degraded', degraded: ['listen'] });
      expect((await appHealth()).servingCachedUntil).toBeTruthy();

      for (let i = 0; i < 3; i++) expect((await call('/v1/projects', cached.token)).status).toBe(200);
      const started = Date.now();
      const unknown = await call('/v1/projects', later.token);
      expect(unknown.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await call('/v1/projects', generateToken('acme_'))).status).toBe(503);

      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'degraded', degraded: ['database', 'listen'] });
    } finally {
      await admin(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS true`);
    }

    await waitFor('the app to reconnect', async () => (await appHealth()).latchkey === 'connected', 20_000);
    await waitFor(
      'the server to recover',
      async () => (await (await fetch(`${server.url}/health`)).json()).status === 'ok',
      20_000,
    );
    expect((await call('/v1/projects', later.token)).status).toBe(200);
    expect(app.logs()).not.toContain(cached.token);
  }, 90_000);
});
