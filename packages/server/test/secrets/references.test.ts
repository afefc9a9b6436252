import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { createKey } from '../keys/fixtures.js';
import { projectsUrl } from '../projects/fixtures.js';
import { auditRows, call, envsUrl, secretsSetup } from './fixtures.js';

const t = useTestApp();

/** How many versions `name` has in `env` (0: never set), read straight from the table. */
async function versions(s: { url: (e: string) => string }, token: string, env: string, name: string) {
  const res = await call(t, token, 'GET', `${s.url(env)}/${name}/history`);
  return res.statusCode === 404 ? 0 : (res.json().items as unknown[]).length;
}

describe('secret references at set time', () => {
  it('accepts ${NAME}, ${env.NAME} and $${ literals; get resolves them unless raw=true', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production', 'staging']);
    expect((await s.set('HOST', 'db.internal')).statusCode).toBe(200);
    expect((await s.set('KEY', 'staging-key', owner.token, 'staging')).statusCode).toBe(200);
    const set = await s.set('URL', 'postgres://${HOST}/x?k=${staging.KEY}&lit=$${HOST}');
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ name: 'URL', version: 1 });
    // Same environment written out in full is the same reference.
    expect((await s.set('SAME', '${production.HOST}')).statusCode).toBe(200);
    const raw = await call(t, owner.token, 'GET', `${s.base}/URL?raw=true`);
    expect(raw.json().value).toBe('postgres://${HOST}/x?k=${staging.KEY}&lit=$${HOST}');
    const got = await call(t, owner.token, 'GET', `${s.base}/URL`);
    expect(got.json().value).toBe('postgres://db.internal/x?k=staging-key&lit=${HOST}');
  });

  it('refuses a cycle with the chain named, and changes nothing', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production', 'staging']);
    await s.set('B', 'plain-b');
    expect((await s.set('A', 'x-${B}')).statusCode).toBe(200);
    const before = (await auditRows(t, s.org.id)).length;
    const res = await s.set('B', 'y-${A}');
    expect(res.statusCode).toBe(400);
    const error = res.json().error;
    expect(error.code).toBe('REFERENCE_CYCLE');
    expect(error.message).toContain('B → A → B');
    expect(error.details.chain).toEqual(['B', 'A', 'B']);
    expect(error.hint).toBeTruthy();
    expect(res.body).not.toContain('plain-b');
    expect(res.body).not.toContain('x-');
    expect((await call(t, owner.token, 'GET', `${s.base}/B`)).json()).toMatchObject({
      value: 'plain-b',
      version: 1,
    });
    expect((await auditRows(t, s.org.id)).length).toBe(before);
    // Across environments too, and a value referencing itself.
    await s.set('D', 'plain-d');
    expect((await s.set('C', '${production.D}', owner.token, 'staging')).statusCode).toBe(200);
    const across = await s.set('D', '${staging.C}');
    expect(across.json().error).toMatchObject({ code: 'REFERENCE_CYCLE' });
    expect(across.json().error.message).toContain('D → staging.C → D');
    expect((await s.set('SELF', 'a${SELF}')).json().error.message).toContain('SELF → SELF');
    expect(await versions(s, owner.token, 'production', 'D')).toBe(1);
  });

  it('refuses a missing name, a missing environment and another project, naming the chain', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production']);
    await s.set('MIDDLE', '${NOPE}x');
    // MIDDLE was refused, so nothing references NOPE yet.
    expect(await versions(s, owner.token, 'production', 'MIDDLE')).toBe(0);
    const missing = await s.set('TOP', '${NOPE}');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'REFERENCE_MISSING' });
    expect(missing.json().error.message).toContain('TOP → NOPE');
    expect(missing.json().error.message).toContain('NOPE is not set in acme/production');
    expect(missing.json().error.hint).toContain('latch secrets set NOPE');

    // Another project of the same org: a reference cannot name it (there is no syntax for it).
    const other = await call(t, owner.token, 'POST', projectsUrl(s.org.id), {
      name: 'billing',
      keyPrefix: 'bill_',
    });
    expect(other.statusCode, other.body).toBe(201);
    expect(
      (await call(t, owner.token, 'POST', envsUrl(s.org.id, 'billing'), { name: 'production' })).statusCode,
    ).toBe(201);
    const cross = await s.set('X', '${billing.KEY}');
    expect(cross.json().error).toMatchObject({ code: 'REFERENCE_MISSING' });
    expect(cross.json().error.message).toContain('project acme has no environment billing');
    expect((await s.set('Y', '${billing/production.KEY}')).json().error.code).toBe('INVALID_INPUT');
    expect(await versions(s, owner.token, 'production', 'X')).toBe(0);
  });

  it('refuses a malformed ${ without quoting the value', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner);
    const res = await s.set('BAD', 'hunter2${lower}');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_INPUT');
    expect(res.json().error.message).toContain('character 8');
    expect(res.json().error.hint).toContain('$${');
    expect(res.body).not.toContain('hunter2');
  });

  it('checks an import as a whole, and a promote in the target environment', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production', 'staging']);
    const imp = (content: string) => call(t, owner.token, 'POST', `${s.base}/import`, { content });
    const cyc = await imp('A=${B}\nB=${A}\n');
    expect(cyc.json().error).toMatchObject({ code: 'REFERENCE_CYCLE' });
    expect(await versions(s, owner.token, 'production', 'A')).toBe(0);
    const ok = await imp('A=${B}\nB=b\n');
    expect(ok.statusCode, ok.body).toBe(200);

    await s.set('ONLY_STAGING', 'v', owner.token, 'staging');
    await s.set('P', '${ONLY_STAGING}', owner.token, 'staging');
    const promote = (names: string[]) =>
      call(t, owner.token, 'POST', `${s.base}/promote`, { from: 'staging', names });
    const refused = await promote(['P']);
    expect(refused.json().error).toMatchObject({ code: 'REFERENCE_MISSING' });
    expect(await versions(s, owner.token, 'production', 'P')).toBe(0);
    // Promoted together, the reference resolves in the target.
    expect((await promote(['P', 'ONLY_STAGING'])).statusCode).toBe(200);
  });

  it("answers 404 for another org's environment, before looking at references", async () => {
    const alice = await t.signUp();
    const bob = await t.signUp();
    const a = await secretsSetup(t, alice);
    await a.set('SECRET_A', 'alice-only');
    const res = await t.app.inject({
      method: 'PUT',
      url: `${a.base}/STEAL`,
      headers: t.auth(bob.token),
      payload: { value: '${SECRET_A}' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('alice-only');
  });
});

describe('secret references in releases', () => {
  it('pins resolved values at deploy; a later change reaches nothing until the next deploy', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production', 'staging']);
    await s.set('B', 'one');
    await s.set('K', 'sk', owner.token, 'staging');
    await s.set('A', 'x-${B}-${staging.K}-$${B}');
    await s.deploy();
    expect((await s.released()).json().values).toEqual({ A: 'x-one-sk-${B}', B: 'one' });
    // get resolves against the newest values; raw=true shows the stored text.
    expect((await call(t, owner.token, 'GET', `${s.base}/A`)).json()).toMatchObject({
      value: 'x-one-sk-${B}',
      references: ['B', 'staging.K'],
    });
    expect((await call(t, owner.token, 'GET', `${s.base}/A?raw=true`)).json().value).toBe(
      'x-${B}-${staging.K}-$${B}',
    );

    await s.set('K', 'sk2', owner.token, 'staging');
    expect((await s.released()).json().values.A).toBe('x-one-sk-${B}');
    expect((await s.released('production', true)).json().values.A).toBe('x-one-sk2-${B}');
    const v2 = await s.deploy();
    // Only the referenced value changed: A still shows as changed, through staging.K.
    expect(v2.changes.changed).toEqual(['A']);
    expect(v2.diff.secrets.changed).toEqual([{ name: 'A', from: 1, to: 1, via: ['staging.K'] }]);
    expect((await s.released()).json().values.A).toBe('x-one-sk2-${B}');
    const stored = await t.database.db.execute(
      sql`SELECT resolved::text AS r FROM release_secrets WHERE resolved IS NOT NULL`,
    );
    expect(JSON.stringify(stored.rows)).not.toContain(Buffer.from('sk2').toString('hex'));
  });

  it('deploy refuses a missing reference and one the deployer may not read, naming the chain', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production']);
    await s.set('B', 'b');
    await s.set('A', '${B}');
    await call(t, owner.token, 'DELETE', `${s.base}/B`);
    const url = `${s.base.replace(/\/secrets$/, '')}/deploy`;
    const missing = await call(t, owner.token, 'POST', url, {});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'REFERENCE_MISSING' });
    expect(missing.json().error.message).toContain('A → B');
    await s.set('B', 'b2');
    const key = await createKey(t, owner.token, s.org.id, { name: 'ci', scopes: ['deploy:write'] });
    const forbidden = await call(t, key.token, 'POST', url, {});
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error).toMatchObject({ code: 'REFERENCE_FORBIDDEN' });
    expect(forbidden.body).not.toContain('b2');
    expect((await s.released()).statusCode).toBe(404);
  });
});
