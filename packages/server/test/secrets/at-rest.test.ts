import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createTestApp, useTestApp } from '../helpers/app.js';
import { call, secretsSetup } from './fixtures.js';

const t = useTestApp();

/** Every row of every table in the schema, as text: what a stolen backup would hold. */
async function dumpDatabase(): Promise<string> {
  const tables = await t.database.db.execute(
    sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
  );
  const parts: string[] = [];
  for (const { tablename } of tables.rows as { tablename: string }[]) {
    const rows = await t.database.db.execute(sql.raw(`SELECT t::text AS row FROM "${tablename}" t`));
    for (const r of rows.rows as { row: string }[]) parts.push(`${tablename}: ${r.row}`);
  }
  return parts.join('\n');
}

/** Disables the immutability trigger for one statement: only an attacker with the database can do this. */
async function tamper(statement: ReturnType<typeof sql>) {
  await t.database.db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL session_replication_role = replica`);
    await tx.execute(statement);
  });
}

describe('secrets at rest', () => {
  it('no table holds a planted value, in any encoding, after set, import, deploy, read and rollback', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production', 'staging']);
    const planted = ['PLANTED-7f3a9c41-value-one', 'PLANTED-b2e81d07-value-two', 'PLANTED-imported-5c6d'];
    await s.set('FIRST', planted[0]!);
    await s.set('SECOND', planted[1]!);
    await s.set('FIRST', 'changed', owner.token);
    await call(t, owner.token, 'POST', `${s.base}/import`, { content: `THIRD=${planted[2]}\n` });
    await s.deploy('production', { message: 'plant' });
    await call(t, owner.token, 'POST', `${s.base}/FIRST/rollback`, { version: 1 });
    await call(t, owner.token, 'GET', `${s.base}/FIRST/history?reveal=true`);
    expect((await s.released()).json().values.SECOND).toBe(planted[1]);

    const dump = await dumpDatabase();
    expect(dump).toContain('secret_versions');
    for (const value of planted) {
      for (const encoded of [
        value,
        Buffer.from(value).toString('hex'),
        Buffer.from(value).toString('base64'),
        Buffer.from(value).toString('base64url'),
      ]) {
        expect(dump, `found ${value}`).not.toContain(encoded);
      }
    }
  });

  it('a ciphertext copied to another name, version or environment fails with a clear integrity error', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production', 'staging']);
    await s.set('LIVE_KEY', 'sk_live_real');
    await s.set('TEST_KEY', 'sk_test_fake');
    await s.set('TEST_KEY', 'sk_test_fake_2');
    await s.set('LIVE_KEY', 'staging-value', owner.token, 'staging');

    // Another name: TEST_KEY v1 gets LIVE_KEY v1's ciphertext.
    await tamper(sql`UPDATE secret_versions SET ciphertext = (SELECT ciphertext FROM secret_versions s
      JOIN environments e ON e.id = s.environment_id WHERE e.name = 'production' AND s.name = 'LIVE_KEY' AND s.version = 1 AND s.org_id = ${s.org.id})
      WHERE name = 'TEST_KEY' AND version = 1 AND org_id = ${s.org.id}`);
    const moved = await call(t, owner.token, 'GET', `${s.base}/TEST_KEY?version=1`);
    expect(moved.statusCode).toBe(500);
    expect(moved.json().error.code).toBe('INTEGRITY_ERROR');
    expect(moved.json().error.message).toContain(
      'TEST_KEY (version 1) in acme/production failed its integrity check',
    );
    expect(moved.body).not.toContain('sk_live_real');

    // Another version of the same name: v3 gets v2's ciphertext.
    await s.set('TEST_KEY', 'sk_test_fake_3');
    await tamper(sql`UPDATE secret_versions SET ciphertext = (SELECT ciphertext FROM secret_versions
      WHERE name = 'TEST_KEY' AND version = 2 AND org_id = ${s.org.id})
      WHERE name = 'TEST_KEY' AND version = 3 AND org_id = ${s.org.id}`);
    const otherVersion = await call(t, owner.token, 'GET', `${s.base}/TEST_KEY`);
    expect(otherVersion.json().error.message).toContain('TEST_KEY (version 3)');
    expect(otherVersion.body).not.toContain('sk_test_fake');
    expect((await call(t, owner.token, 'GET', `${s.base}/TEST_KEY?version=2`)).json().value).toBe(
      'sk_test_fake_2',
    );

    // Another environment: staging's LIVE_KEY gets production's ciphertext (different data key too).
    await tamper(sql`UPDATE secret_versions SET ciphertext = (SELECT ciphertext FROM secret_versions
      WHERE name = 'LIVE_KEY' AND version = 1 AND org_id = ${s.org.id} AND environment_id = (SELECT id FROM environments WHERE name = 'production' AND org_id = ${s.org.id}))
      WHERE name = 'LIVE_KEY' AND org_id = ${s.org.id} AND environment_id = (SELECT id FROM environments WHERE name = 'staging' AND org_id = ${s.org.id})`);
    const crossEnv = await call(t, owner.token, 'GET', `${s.url('staging')}/LIVE_KEY`);
    expect(crossEnv.json().error).toMatchObject({ code: 'INTEGRITY_ERROR' });
    expect(crossEnv.json().error.message).toContain('acme/staging');

    // Even with staging's data key replaced by production's, the associated data still refuses it.
    await tamper(sql`UPDATE environment_keys SET wrapped_key = (SELECT wrapped_key FROM environment_keys k
      JOIN environments e ON e.id = k.environment_id WHERE e.name = 'production' AND e.org_id = ${s.org.id})
      WHERE environment_id = (SELECT id FROM environments WHERE name = 'staging' AND org_id = ${s.org.id})`);
    // A fresh process (nothing cached) must read the stored data key.
    const app2 = await createTestApp(t.database, { masterKey: t.config.masterKey });
    try {
      const res = await app2.app.inject({
        method: 'GET',
        url: `${s.url('staging')}/LIVE_KEY`,
        headers: t.auth(owner.token),
      });
      expect(res.json().error.code).toBe('INTEGRITY_ERROR');
      expect(res.json().error.message).toContain('data key of acme/staging cannot be opened');
    } finally {
      await app2.app.close();
    }

    // The untouched values still read.
    expect((await call(t, owner.token, 'GET', `${s.base}/LIVE_KEY`)).json().value).toBe('sk_live_real');
  });
});
