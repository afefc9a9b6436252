import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../src/runtime/settings.js';
import { startLatchkey } from '../../src/runtime/start.js';
import { StartupError } from '../../src/runtime/startup-error.js';
import { masterKeyCheck, masterKeyId } from '../../src/services/secrets/crypto.js';
import {
  MasterKeyMismatch,
  rotateMasterKey,
  verifyMasterKey,
} from '../../src/services/secrets/master-key.js';
import { createTestApp, type TestApp, useTestApp } from '../helpers/app.js';
import { call, secretsSetup } from './fixtures.js';

const t = useTestApp();
const opened: TestApp[] = [];
afterAll(async () => {
  for (const o of opened) await o.app.close();
});

async function appWith(masterKey: Buffer, extra: { masterKeyFile?: string } = {}) {
  const app = await createTestApp(t.database, { masterKey, ...extra });
  opened.push(app);
  return app;
}

const get = (a: TestApp, token: string, url: string) =>
  a.app.inject({ method: 'GET', url, headers: a.auth(token) });

async function startProduction(key: Buffer) {
  const env = {
    DATABASE_URL: t.database.pool.options.connectionString!,
    LATCH_LOG_LEVEL: 'silent',
    LATCH_MASTER_KEY: key.toString('base64'),
    LATCH_AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
  };
  const settings = readSettings('production', { port: 0, dataDir: path.join(tmpdir(), 'latch-unused') }, env);
  return startLatchkey(settings, { env });
}

describe('the master key', () => {
  it('a server with the wrong master key refuses to start and says so; the right one starts', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    await s.set('PINNED', 'value');
    expect(await verifyMasterKey(t.database.db, t.config.masterKey!)).toBe('matches');

    const wrong = randomBytes(32);
    const err = await startProduction(wrong).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain('LATCH_MASTER_KEY');
    expect((err as Error).message).toContain('is not the master key this database');
    expect((err as Error).message).not.toContain(wrong.toString('base64'));

    const right = await startProduction(t.config.masterKey!);
    await right.close();
  });

  it('rotation re-wraps every data key in one transaction, leaves values alone, and retires the old key', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production', 'staging']);
    await s.set('PROD_ONLY', 'p-value');
    await s.set('STAGE_ONLY', 's-value', owner.token, 'staging');
    await s.deploy('production');
    const oldKey = t.config.masterKey!;
    // Started before the rotation: its data keys are warm in memory, as after a real start.
    const running = await appWith(oldKey);
    await running.app.services.keyring.warm();
    const values = async () =>
      (await t.database.db.execute(sql`SELECT id, ciphertext FROM secret_versions ORDER BY id`)).rows;
    const before = await values();

    const newKey = randomBytes(32);
    await expect(rotateMasterKey(t.database.db, randomBytes(32), newKey)).rejects.toBeInstanceOf(
      MasterKeyMismatch,
    );
    const { rewrapped } = await rotateMasterKey(t.database.db, oldKey, newKey);
    expect(rewrapped).toBeGreaterThanOrEqual(2);
    expect(await values()).toEqual(before);
    expect(await verifyMasterKey(t.database.db, oldKey)).toBe('mismatch');
    expect(await verifyMasterKey(t.database.db, newKey)).toBe('matches');

    // Servers that ran through the rotation keep serving, without a restart.
    for (const a of [t, running]) {
      expect((await get(a, owner.token, `${s.base}/PROD_ONLY`)).json().value).toBe('p-value');
      expect((await get(a, owner.token, `${s.url('staging')}/STAGE_ONLY`)).json().value).toBe('s-value');
    }
    // A new process with the old key opens nothing; with the new key, everything.
    const stale = await appWith(oldKey);
    const refused = await get(stale, owner.token, `${s.base}/PROD_ONLY`);
    expect(refused.json().error.code).toBe('INTEGRITY_ERROR');
    const fresh = await appWith(newKey);
    expect((await get(fresh, owner.token, `${s.base}/PROD_ONLY`)).json().value).toBe('p-value');
    expect(
      (
        await fresh.app.inject({
          method: 'GET',
          url: `${s.base.replace('/secrets', '')}/released-secrets`,
          headers: t.auth(owner.token),
        })
      ).json().values,
    ).toEqual({ PROD_ONLY: 'p-value' });

    // A server still on the old key cannot make new data keys: it says to restart.
    await call(t, owner.token, 'POST', `/api/v1/orgs/${s.org.id}/projects/acme/environments`, {
      name: 'preview',
    });
    const blocked = await s.set('NEW_ONE', 'x', owner.token, 'preview');
    expect(blocked.statusCode).toBe(503);
    expect(blocked.json().error.hint).toContain('Restart this server with the new LATCH_MASTER_KEY');

    // A dev server whose key file was updated by the rotation follows it by itself.
    const dir = await mkdtemp(path.join(tmpdir(), 'latch-key-'));
    try {
      const file = path.join(dir, 'master.key');
      await writeFile(file, `${newKey.toString('base64')}\n`);
      const dev = await appWith(oldKey, { masterKeyFile: file });
      const made = await dev.app.inject({
        method: 'PUT',
        url: `${s.url('preview')}/NEW_ONE`,
        headers: t.auth(owner.token),
        payload: { value: 'x' },
      });
      expect(made.statusCode, made.body).toBe(200);
      expect((await get(fresh, owner.token, `${s.url('preview')}/NEW_ONE`)).json().value).toBe('x');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the master-key rotation audit entry', () => {
  const a = useTestApp();

  it('is written by the system actor in the re-wrap transaction and holds no key material', async () => {
    const owner = await a.signUp();
    const s = await secretsSetup(a, owner, ['production', 'staging']);
    await s.set('ONE', 'v1');
    await s.set('TWO', 'v2', owner.token, 'staging');
    const oldKey = a.config.masterKey!;
    const newKey = randomBytes(32);
    const audit = async () =>
      (
        await a.database.db.execute(
          sql`SELECT * FROM audit_events WHERE action = 'master_key.rotated' ORDER BY id`,
        )
      ).rows;

    // A failed rotation (wrong current key) rolls back, and its audit entry with it.
    await expect(rotateMasterKey(a.database.db, randomBytes(32), newKey)).rejects.toBeInstanceOf(
      MasterKeyMismatch,
    );
    expect(await audit()).toEqual([]);

    const wrappedBefore = (await a.database.db.execute(sql`SELECT wrapped_key FROM environment_keys`)).rows;
    await rotateMasterKey(a.database.db, oldKey, newKey);
    const rows = await audit();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      org_id: null,
      actor_type: 'system',
      actor_id: null,
      data: { rewrapped: 2, fromKeyId: masterKeyId(oldKey), toKeyId: masterKeyId(newKey) },
    });
    const wrappedAfter = (await a.database.db.execute(sql`SELECT wrapped_key FROM environment_keys`)).rows;
    const stored = JSON.stringify(rows[0]);
    const material = [oldKey, newKey].flatMap((k) => [
      k.toString('base64'),
      k.toString('base64url'),
      k.toString('hex'),
      masterKeyCheck(k),
    ]);
    for (const r of [...wrappedBefore, ...wrappedAfter]) {
      const w = r.wrapped_key as Buffer | string;
      material.push(Buffer.isBuffer(w) ? w.toString('base64') : String(w));
    }
    for (const m of material) expect(stored).not.toContain(m);
  });
});
