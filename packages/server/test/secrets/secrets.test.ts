import { describe, expect, it } from 'vitest';
import { accessRows } from '../access-log/fixtures.js';
import { useTestApp } from '../helpers/app.js';
import { addMember, auditRows, call, secretsSetup } from './fixtures.js';

const t = useTestApp();

describe('secrets: set, list, get, unset', () => {
  it('sets a value, lists it masked and pending, reads it back (audited, never the value)', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    const set = await s.set('STRIPE_SECRET_KEY', 'sk_live_123');
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({
      name: 'STRIPE_SECRET_KEY',
      version: 1,
      action: 'set',
      unchanged: false,
    });

    const list = await call(t, owner.token, 'GET', s.base);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toMatchObject({ release: null, environment: { name: 'production' } });
    expect(list.json().items).toEqual([
      expect.objectContaining({
        name: 'STRIPE_SECRET_KEY',
        status: 'pending',
        version: 1,
        releasedVersion: null,
        masked: '••••••••',
        managed: false,
        updatedBy: owner.email,
      }),
    ]);
    expect(list.body).not.toContain('sk_live_123');

    const got = await call(t, owner.token, 'GET', `${s.base}/STRIPE_SECRET_KEY`);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toMatchObject({ name: 'STRIPE_SECRET_KEY', value: 'sk_live_123', version: 1 });

    // The change is audited; the read is in the access log (names and version, never the value).
    const audit = await auditRows(t, s.org.id);
    expect(audit.map((r) => r.action)).toContain('secret.set');
    expect(JSON.stringify(audit)).not.toContain('sk_live_123');
    const access = await accessRows(t, s.org.id);
    expect(access).toEqual([
      expect.objectContaining({
        action: 'secret.read',
        names: ['STRIPE_SECRET_KEY'],
        environment: 'production',
        data: { version: 1 },
      }),
    ]);
    expect(JSON.stringify(access)).not.toContain('sk_live_123');
  });

  it('states the naming rule and the size limit; never echoes a value', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    for (const name of ['stripe_key', '1KEY', 'MY-KEY', '_X']) {
      const res = await s.set(name, 'v');
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error.message).toContain('UPPER_SNAKE_CASE');
      expect(res.json().error.message).toContain('^[A-Z][A-Z0-9_]*$');
    }
    expect((await s.set('stripe_key', 'v')).json().error.message).toContain('try "STRIPE_KEY"');
    const big = 'x'.repeat(64 * 1024 + 1);
    const tooBig = await s.set('BIG', big);
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().error.message).toContain('at most 64 KiB');
    expect(tooBig.body).not.toContain('xxxxxxxxxx');
    expect((await s.set('EXACTLY', 'x'.repeat(64 * 1024))).statusCode).toBe(200);
    expect((await s.set('NUL', 'a\0b')).json().error.message).toContain('NUL');
    const noEnv = await call(t, owner.token, 'GET', s.url('nope'));
    expect(noEnv.statusCode).toBe(404);
  });

  it('viewers see names only; developers write; nobody else reads values', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    const viewer = await addMember(t, owner.token, s.org.id, 'viewer');
    const dev = await addMember(t, owner.token, s.org.id, 'developer');
    expect((await s.set('API_TOKEN', 'dev-wrote-this', dev.token)).statusCode).toBe(200);

    const seen = await call(t, viewer.token, 'GET', s.base);
    expect(seen.statusCode).toBe(200);
    expect(seen.json().items).toEqual([
      {
        name: 'API_TOKEN',
        status: 'pending',
        managed: false,
        version: null,
        releasedVersion: null,
        masked: null,
        updatedAt: null,
        updatedBy: null,
      },
    ]);
    for (const [method, url] of [
      ['GET', `${s.base}/API_TOKEN`],
      ['GET', `${s.base}/API_TOKEN/history`],
      ['DELETE', `${s.base}/API_TOKEN`],
    ] as const) {
      const res = await call(t, viewer.token, method, url);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.message).toMatch(/secrets:(read|write)/);
    }
    expect((await s.set('API_TOKEN', 'x', viewer.token)).statusCode).toBe(403);
    expect((await call(t, dev.token, 'GET', `${s.base}/API_TOKEN`)).json().value).toBe('dev-wrote-this');
  });

  it('unset makes a version without a value; reading it says it was unset', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    await s.set('GONE', 'a');
    const unset = await call(t, owner.token, 'DELETE', `${s.base}/GONE`);
    expect(unset.statusCode, unset.body).toBe(200);
    expect(unset.json()).toMatchObject({ name: 'GONE', version: 2, action: 'unset' });
    const got = await call(t, owner.token, 'GET', `${s.base}/GONE`);
    expect(got.statusCode).toBe(404);
    expect(got.json().error.message).toContain('unset in version 2');
    expect((await call(t, owner.token, 'DELETE', `${s.base}/GONE`)).statusCode).toBe(404);
    // Never released and now unset: gone from the list.
    expect((await call(t, owner.token, 'GET', s.base)).json().items).toEqual([]);
    expect((await call(t, owner.token, 'GET', `${s.base}/GONE?version=1`)).json().value).toBe('a');
  });

  it('pages through names in order', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    for (const name of ['C_KEY', 'A_KEY', 'B_KEY', 'D_KEY', 'E_KEY']) await s.set(name, name.toLowerCase());
    const first = (await call(t, owner.token, 'GET', `${s.base}?limit=2`)).json();
    expect(first.items.map((i: { name: string }) => i.name)).toEqual(['A_KEY', 'B_KEY']);
    const second = (await call(t, owner.token, 'GET', `${s.base}?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.items.map((i: { name: string }) => i.name)).toEqual(['C_KEY', 'D_KEY']);
    const third = (await call(t, owner.token, 'GET', `${s.base}?limit=2&cursor=${second.nextCursor}`)).json();
    expect(third).toMatchObject({ items: [{ name: 'E_KEY' }], nextCursor: null });
  });
});

describe('secrets: concurrent sets', () => {
  it('gives concurrent sets of one name distinct versions, each audited once', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    // Each set reads the newest version unlocked; the one that loses the race for a version
    // number must write nothing and retry under the environment's lock, not fail or fork.
    const sets = await Promise.all(Array.from({ length: 8 }, (_, i) => s.set('RACED', `value-${i}`)));
    for (const r of sets) expect(r.statusCode, r.body).toBe(200);
    const versions = sets.map((r) => r.json().version as number).sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const history = await call(t, owner.token, 'GET', `${s.base}/RACED/history`);
    expect(history.json().items.map((v: { version: number }) => v.version)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    const audited = (await auditRows(t, s.org.id)).filter((r) => r.action === 'secret.set');
    expect(audited.map((r) => (r.data as { version: number }).version).sort((a, b) => a - b)).toEqual(
      versions,
    );
  });
});

describe('secrets: history and rollback', () => {
  it('keeps every version; reveal shows values (audited); rollback makes a new version', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    await s.set('DB_PASSWORD', 'first');
    await s.set('DB_PASSWORD', 'second');
    const again = await s.set('DB_PASSWORD', 'second');
    expect(again.json()).toMatchObject({ version: 2, unchanged: true });

    const history = await call(t, owner.token, 'GET', `${s.base}/DB_PASSWORD/history`);
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json().items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(history.json().items[0]).not.toHaveProperty('value');
    expect(history.body).not.toContain('first');

    const rolled = await call(t, owner.token, 'POST', `${s.base}/DB_PASSWORD/rollback`, { version: 1 });
    expect(rolled.statusCode, rolled.body).toBe(200);
    expect(rolled.json()).toMatchObject({ version: 3, action: 'rollback' });
    expect((await call(t, owner.token, 'GET', `${s.base}/DB_PASSWORD`)).json()).toMatchObject({
      value: 'first',
      version: 3,
    });

    const revealed = await call(t, owner.token, 'GET', `${s.base}/DB_PASSWORD/history?reveal=true&limit=2`);
    expect(revealed.json().items).toEqual([
      expect.objectContaining({ version: 3, value: 'first', action: 'rollback', rolledBackTo: 1 }),
      expect.objectContaining({ version: 2, value: 'second' }),
    ]);
    const older = await call(
      t,
      owner.token,
      'GET',
      `${s.base}/DB_PASSWORD/history?limit=2&cursor=${revealed.json().nextCursor}`,
    );
    expect(older.json().items.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(
      (await accessRows(t, s.org.id)).filter((r) => r.action === 'secret.history_revealed'),
    ).toHaveLength(1);

    const same = await call(t, owner.token, 'POST', `${s.base}/DB_PASSWORD/rollback`, { version: 3 });
    expect(same.statusCode).toBe(409);
    const missing = await call(t, owner.token, 'POST', `${s.base}/DB_PASSWORD/rollback`, { version: 9 });
    expect(missing.statusCode).toBe(404);
    await call(t, owner.token, 'DELETE', `${s.base}/DB_PASSWORD`);
    const toUnset = await call(t, owner.token, 'POST', `${s.base}/DB_PASSWORD/rollback`, { version: 4 });
    expect(toUnset.statusCode).toBe(400);
    expect(toUnset.json().error.message).toContain('is an unset');
    const fromUnset = await call(t, owner.token, 'POST', `${s.base}/DB_PASSWORD/rollback`, { version: 2 });
    expect(fromUnset.json()).toMatchObject({ version: 5 });
  });
});

describe('secrets: import', () => {
  it('reports added, changed and unchanged; rejects bad lines with their numbers, importing nothing', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    const bad = await call(t, owner.token, 'POST', `${s.base}/import`, {
      content: '# comment\nGOOD=1\nlower_case=2\n\nno equals here\nGOOD=3\n',
    });
    expect(bad.statusCode).toBe(400);
    const message = bad.json().error.message as string;
    expect(message).toContain('line 3: "lower_case" is not a valid secret name');
    expect(message).toContain('line 5: expected NAME=value');
    expect(message).toContain('line 6: GOOD is already set on line 2');
    expect(bad.json().error.details.issues.map((i: { line: number }) => i.line)).toEqual([3, 5, 6]);
    expect((await call(t, owner.token, 'GET', s.base)).json().items).toEqual([]);

    await s.set('KEEP', 'same');
    await s.set('CHANGE', 'old');
    const content = 'export KEEP=same\nCHANGE="new value"\nADDED=\'x#y\' # note\nMULTI="a\\nb"\n';
    const dry = await call(t, owner.token, 'POST', `${s.base}/import`, { content, dryRun: true });
    expect(dry.json()).toMatchObject({
      added: ['ADDED', 'MULTI'],
      changed: ['CHANGE'],
      unchanged: ['KEEP'],
      dryRun: true,
    });
    expect((await call(t, owner.token, 'GET', `${s.base}/CHANGE`)).json().value).toBe('old');

    const done = await call(t, owner.token, 'POST', `${s.base}/import`, { content });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({
      added: ['ADDED', 'MULTI'],
      changed: ['CHANGE'],
      unchanged: ['KEEP'],
    });
    expect((await call(t, owner.token, 'GET', `${s.base}/CHANGE`)).json().value).toBe('new value');
    expect((await call(t, owner.token, 'GET', `${s.base}/ADDED`)).json().value).toBe('x#y');
    expect((await call(t, owner.token, 'GET', `${s.base}/MULTI`)).json().value).toBe('a\nb');
    expect((await call(t, owner.token, 'GET', `${s.base}/KEEP`)).json().version).toBe(1);
    const audit = await auditRows(t, s.org.id);
    expect(audit.find((r) => r.action === 'secrets.imported')?.data).toMatchObject({
      added: ['ADDED', 'MULTI'],
      changed: ['CHANGE'],
    });
  });
});
