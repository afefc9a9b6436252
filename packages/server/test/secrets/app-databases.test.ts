import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { databaseNames } from '../../src/services/app-databases/app-databases.service.js';
import { createTestApp, useTestApp } from '../helpers/app.js';
import { auditRows, call, envsUrl, secretsSetup } from './fixtures.js';

const adminUrl = inject('adminUrl');
const t = useTestApp({ appDatabaseUrl: adminUrl });

// The environment databases live on the shared test server, outside this file's database.
afterAll(async () => {
  const rows = await t.database.db.execute(
    sql`SELECT environment_id, database_name FROM environment_databases`,
  );
  for (const r of rows.rows as { environment_id: string }[])
    await t.app.services.appDatabases?.drop(r.environment_id, 'test');
});

async function exists(kind: 'database' | 'role', name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const sql =
      kind === 'database'
        ? 'SELECT 1 FROM pg_database WHERE datname = $1'
        : 'SELECT 1 FROM pg_roles WHERE rolname = $1';
    return ((await client.query(sql, [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

async function connect(url: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // Dropping an environment closes its connections; that is expected here, not a crash.
  client.on('error', () => {});
  await client.connect();
  return client;
}

describe('per-environment databases (LATCH_APP_DATABASE_URL)', () => {
  it('env create makes a database and role, stored as a managed DATABASE_URL; environments cannot reach each other', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production', 'staging']);
    const prodUrl = (await call(t, owner.token, 'GET', `${s.url('production')}/DATABASE_URL`)).json();
    const stagingUrl = (await call(t, owner.token, 'GET', `${s.url('staging')}/DATABASE_URL`)).json();
    expect(prodUrl).toMatchObject({ managed: true, version: 1 });
    expect(prodUrl.value).not.toBe(stagingUrl.value);
    const list = (await call(t, owner.token, 'GET', s.url('production'))).json().items;
    expect(list).toEqual([
      expect.objectContaining({ name: 'DATABASE_URL', managed: true, status: 'pending' }),
    ]);

    // Each environment works in its own database.
    const prod = await connect(prodUrl.value);
    await prod.query('CREATE TABLE orders (id int)');
    await prod.query('INSERT INTO orders VALUES (1)');
    const staging = await connect(stagingUrl.value);
    await staging.query('CREATE TABLE orders (id int)');
    expect((await staging.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
    await prod.end();
    await staging.end();

    // Staging's credentials against production's database: refused.
    const crossed = new URL(stagingUrl.value);
    crossed.pathname = new URL(prodUrl.value).pathname;
    const refused = await connect(crossed.toString()).then(
      async (c) => {
        await c.end();
        return null;
      },
      (err: Error & { code?: string }) => err,
    );
    expect(refused?.message).toMatch(/permission denied for database/);
    expect(refused?.code).toBe('42501');

    // Read-only to people.
    const set = await s.set('DATABASE_URL', 'postgres://elsewhere/db', owner.token, 'production');
    expect(set.statusCode).toBe(409);
    expect(set.json().error.message).toContain('managed by Latchkey');
    expect((await call(t, owner.token, 'DELETE', `${s.url('production')}/DATABASE_URL`)).statusCode).toBe(
      409,
    );
    const imported = await call(t, owner.token, 'POST', `${s.url('production')}/import`, {
      content: 'A=1\nDATABASE_URL=x\n',
    });
    expect(imported.statusCode).toBe(400);
    expect(imported.json().error.message).toContain('line 2: DATABASE_URL');

    // The first deploy of a new environment provisions too, and the release carries the URL.
    const deployed = await s.deploy('preview');
    expect(deployed).toMatchObject({
      environmentCreated: true,
      variables: 1,
      changes: { added: ['DATABASE_URL'] },
    });
    expect((await s.released('preview')).json().values.DATABASE_URL).toMatch(/^postgres(ql)?:\/\/latch_app_/);
    expect(JSON.stringify(await auditRows(t, s.org.id))).not.toContain(new URL(prodUrl.value).password);
  });

  it("an environment's DATABASE_URL reaches no other database, so it can neither hear nor forge Latchkey's events", async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production']);
    const url = (await call(t, owner.token, 'GET', `${s.url('production')}/DATABASE_URL`)).json()
      .value as string;

    // What an SDK stream would hear: Latchkey's own listener on the platform database.
    const listener = await connect(t.database.pool.options.connectionString!);
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(String(n.payload)));
    await listener.query('LISTEN latch_events');

    const platform = new URL(t.database.pool.options.connectionString!).pathname.slice(1);
    for (const database of [platform, 'postgres', 'template1']) {
      const elsewhere = new URL(url);
      elsewhere.pathname = `/${database}`;
      const result = await connect(elsewhere.toString()).then(
        async (c) => {
          // Without the fix this succeeds: a forged revocation reaches every SDK stream of the server.
          await c
            .query(`SELECT pg_notify('latch_events', '{"kind":"sdk.key","change":"revoked","hashes":[]}')`)
            .catch(() => {});
          await c.end();
          return null;
        },
        (err: Error & { code?: string }) => err,
      );
      expect(result?.code, database).toBe('42501');
      expect(result?.message).toMatch(/permission denied for database/);
    }
    await listener.query('SELECT 1'); // a round trip: anything sent before it has been delivered
    expect(heard).toEqual([]);
    await listener.end();

    // Its own database still works, and Latchkey's own role still reaches the platform database.
    const own = await connect(url);
    expect((await own.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await own.end();
    const rows = await t.database.db.execute(
      sql`SELECT datname FROM pg_database WHERE datname IN ('postgres', 'template1', current_database()) AND has_database_privilege('public', datname, 'CONNECT')`,
    );
    expect(rows.rows).toEqual([]);
  });

  it('refuses to run app databases where a database stays open to PUBLIC and its role cannot close it', async () => {
    const tag = `iso_${Date.now().toString(36)}`;
    const admin = await connect(adminUrl);
    await admin.query(`CREATE ROLE ${tag} LOGIN CREATEDB CREATEROLE PASSWORD 'not-a-secret'`);
    await admin.query(`CREATE DATABASE ${tag}`); // owned by the superuser, open to PUBLIC
    try {
      const limited = new URL(adminUrl);
      limited.username = tag;
      limited.password = 'not-a-secret';
      limited.pathname = `/${tag}`;
      const err = await createTestApp(t.database, { appDatabaseUrl: limited.toString() }).then(
        async (a) => {
          await a.app.close();
          return null;
        },
        (e: unknown) => e as Error & { code?: string; hint?: string },
      );
      expect(err?.code).toBe('SERVICE_UNAVAILABLE');
      expect(err?.message).toContain(`could connect to ${tag}`);
      expect(err?.hint).toContain(`REVOKE CONNECT, TEMPORARY ON DATABASE "${tag}" FROM PUBLIC`);
      expect(err?.hint).toContain('cluster of its own');
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${tag} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${tag}`);
      await admin.end();
    }
  });

  it('env delete drops the database and its role, closing open connections', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['doomed']);
    const envs = (await call(t, owner.token, 'GET', envsUrl(s.org.id, 'acme'))).json().items;
    const names = databaseNames(envs[0].id);
    expect(await exists('database', names.database)).toBe(true);
    const url = (await call(t, owner.token, 'GET', `${s.url('doomed')}/DATABASE_URL`)).json().value;
    const open = await connect(url);
    const del = await call(t, owner.token, 'DELETE', `${envsUrl(s.org.id, 'acme')}/doomed`);
    expect(del.statusCode, del.body).toBe(200);
    expect(await exists('database', names.database)).toBe(false);
    expect(await exists('role', names.role)).toBe(false);
    await open.end().catch(() => {});
  });
});
