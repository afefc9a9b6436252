import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findFreePort } from '../../packages/server/src/runtime/free-port.js';
import { createTestDatabase, type TestDatabase } from '../../packages/server/src/store/test-database.js';
import { deviceLogin } from './helpers/device-login.js';
import { latch, spawnLatch, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

const adminUrl = inject('adminUrl');
const home = tempDir('ops-owner');
const app = tempDir('ops-app');
const data = tempDir('ops-data');
let database: TestDatabase;
let server: RunningServer;
let serverEnv: Record<string, string>;

const run = (args: string[], env: Record<string, string> = {}) =>
  latch(args, {
    configDir: home.path,
    cwd: app.path,
    // The repository's node_modules (for `pg`), found from this file: tests run in a scratch folder.
    env: { NODE_PATH: join(import.meta.dirname, '../../node_modules'), ...env },
  });

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  database = await createTestDatabase(adminUrl);
  // A fixed port, so the stored login still matches the server after a restart.
  serverEnv = {
    LATCH_DATABASE_URL: database.url,
    LATCH_APP_DATABASE_URL: adminUrl,
    LATCH_PORT: String(await findFreePort()),
  };
  server = await startServer({ dataDir: data.path, env: serverEnv });
  await deviceLogin(server.url, home.path, 'ops@example.com');
  for (const args of [
    ['org', 'create', 'Opsco', '--use'],
    ['projects', 'create', 'shop'],
    ['link', 'shop'],
  ]) {
    const res = await run(args);
    expect(res.code, res.stderr).toBe(0);
  }
});
afterAll(async () => {
  await server?.stop();
  await database?.drop();
  for (const dir of [home, app, data]) dir.remove();
});

const CONNECT = `
const { Client } = require('pg');
const url = new URL(process.env.DATABASE_URL);
if (process.env.OTHER_DB) url.pathname = '/' + process.env.OTHER_DB;
const c = new Client({ connectionString: url.toString() });
c.connect()
  .then(() => c.query('CREATE TABLE IF NOT EXISTS hits (n int)'))
  .then(() => c.query('INSERT INTO hits VALUES (1)'))
  .then(() => { console.log('connected to ' + url.pathname.slice(1)); return c.end(); })
  .catch((e) => { console.log('refused: ' + e.message); process.exit(3); });`;

describe('per-environment databases and master-key rotation, with the real server and binary', () => {
  it('each environment gets its own database as a managed DATABASE_URL; one cannot reach another', async () => {
    expect((await run(['env', 'create', 'production'])).code).toBe(0);
    expect((await run(['env', 'create', 'staging'])).code).toBe(0);
    const listed = await run(['secrets', 'list', '--env', 'production', '--json']);
    expect(listed.json()).toEqual([expect.objectContaining({ name: 'DATABASE_URL', managed: true })]);
    const changed = await run([
      'secrets',
      'set',
      'DATABASE_URL',
      'postgres://elsewhere/x',
      '--env',
      'production',
    ]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('managed by Latchkey');

    for (const env of ['production', 'staging'])
      expect((await run(['deploy', '--env', env, '--yes'])).code).toBe(0);
    const prod = await run(['run', '--env', 'production', '--', 'node', '-e', CONNECT]);
    expect(prod.stdout, prod.stderr).toMatch(/^connected to latch_app_/);
    const prodDb = prod.stdout.trim().replace('connected to ', '');
    const crossed = await run(['run', '--env', 'staging', '--', 'node', '-e', CONNECT], { OTHER_DB: prodDb });
    expect(crossed.code).toBe(3);
    expect(crossed.stdout).toContain('refused: permission denied for database');

    const stagingUrl = (await run(['secrets', 'get', 'DATABASE_URL', '--env', 'staging'])).stdout.trim();
    const stagingDb = new URL(stagingUrl).pathname.slice(1);
    expect(await databaseExists(stagingDb)).toBe(true);
    const noYes = await run(['env', 'delete', 'staging']);
    expect(noYes.code).toBe(2);
    expect((await run(['env', 'delete', 'staging', '--yes'])).code).toBe(0);
    expect(await databaseExists(stagingDb)).toBe(false);
  });

  it('rotates the master key while the server runs; the old key then refuses to start', async () => {
    expect((await run(['secrets', 'set', 'PAYMENT_KEY', 'pk_rotating', '--env', 'production'])).code).toBe(0);
    expect((await run(['deploy', '--env', 'production', '--yes'])).code).toBe(0);
    // A webhook endpoint's signing secret is sealed under the master key itself: it moves too.
    const hook = await run([
      'webhooks',
      'create',
      '--url',
      'http://127.0.0.1:9/hook',
      '--events',
      'release.created',
    ]);
    expect(hook.code, hook.stderr).toBe(0);
    const keyFile = join(data.path, 'master.key');
    const oldKey = readFileSync(keyFile, 'utf8');
    const newKeyFile = join(app.path, 'new.key');
    writeFileSync(newKeyFile, `${randomBytes(32).toString('base64')}\n`);

    const rotated = await run(
      ['server', 'rotate-master-key', '--data-dir', data.path, '--new-key-file', newKeyFile],
      {
        LATCH_DATABASE_URL: database.url,
      },
    );
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toMatch(/Re-wrapped \d+ data keys? in PostgreSQL at/);
    expect(rotated.stderr).toContain('no secret value was re-encrypted');
    expect(rotated.stderr).toContain('Sealed the signing secrets of 1 webhook endpoint under the new key');
    expect(readFileSync(keyFile, 'utf8')).toBe(readFileSync(newKeyFile, 'utf8'));

    // The running server keeps serving, and follows the new key for new environments.
    const during = await run([
      'run',
      '--env',
      'production',
      '--',
      'node',
      '-e',
      'console.log(process.env.PAYMENT_KEY)',
    ]);
    expect(during.stdout.trim()).toBe('pk_rotating');
    expect((await run(['env', 'create', 'preview'])).code).toBe(0);
    expect((await run(['secrets', 'set', 'FRESH', 'yes', '--env', 'preview'])).code).toBe(0);

    await server.stop();
    server = await startServer({ dataDir: data.path, env: serverEnv });
    expect((await run(['secrets', 'get', 'PAYMENT_KEY', '--env', 'production'])).stdout.trim()).toBe(
      'pk_rotating',
    );
    await server.stop();

    writeFileSync(keyFile, oldKey);
    const refused = spawnLatch(['dev'], {
      configDir: home.path,
      env: { ...serverEnv, LATCH_DATA_DIR: data.path },
    });
    expect(await refused.done).toBe(1);
    expect(refused.out.stderr).toContain('is not the master key this database');
    writeFileSync(keyFile, readFileSync(newKeyFile, 'utf8'));
    server = await startServer({ dataDir: data.path, env: serverEnv });
    await waitFor('the server', () => server.url);
    for (const env of ['production', 'preview'])
      expect((await run(['env', 'delete', env, '--yes'])).code).toBe(0);
  });
});
