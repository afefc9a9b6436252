import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../api-keys/fixtures.js';
import { useTestApp } from '../helpers/app.js';
import { addMember, auditRows, call, createOrg } from '../members/fixtures.js';

const t = useTestApp();

async function count(table: string, orgId: string): Promise<number> {
  const res = await t.database.db.execute(
    sql.raw(`SELECT count(*)::int AS n FROM ${table} WHERE org_id = '${orgId}'`),
  );
  return (res.rows[0] as { n: number }).n;
}

describe('DELETE /api/v1/orgs/:org/projects/:project', () => {
  it('deletes the project with its environments and API keys, which stop verifying at once; audit stays', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    expect(await p.verify({ key: key.token })).toMatchObject({ valid: true });
    const res = await call(t, p.owner.token, 'DELETE', p.base);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: p.projectId,
      environments: ['production', 'staging'],
      deletedApiKeys: 1,
    });
    // The cascade evicts through the api_keys delete trigger's NOTIFY (every node alike).
    await expect.poll(async () => (await p.verify({ key: key.token })).valid, { timeout: 3000 }).toBe(false);
    expect((await call(t, p.owner.token, 'GET', p.base)).statusCode).toBe(404);
    expect(await count('environments', p.orgId)).toBe(0);
    const audit = (await auditRows(t, p.orgId)).filter((r) => r.action === 'project.deleted');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.data).toMatchObject({
      name: p.name,
      environments: ['production', 'staging'],
      apiKeys: 1,
    });
    expect(JSON.stringify(audit)).not.toContain(key.token);
    // Its key prefix is free again.
    const again = await call(t, p.owner.token, 'POST', `/api/v1/orgs/${p.orgId}/projects`, {
      name: p.name,
      keyPrefix: p.prefix,
    });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('needs projects:manage: a developer gets 403 and nothing changes; another org gets 404', async () => {
    const p = await makeProject(t);
    const org = await createOrg(t, p.owner);
    const project = await call(t, p.owner.token, 'POST', `/api/v1/orgs/${org.id}/projects`, {
      name: 'shared',
    });
    expect(project.statusCode).toBe(201);
    const dev = await addMember(t, p.owner.token, org.id, 'developer');
    const refused = await call(t, dev.token, 'DELETE', `/api/v1/orgs/${org.id}/projects/shared`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('PERMISSION_DENIED');
    const stranger = await t.signUp();
    expect(
      (await call(t, stranger.token, 'DELETE', `/api/v1/orgs/${org.id}/projects/shared`)).statusCode,
    ).toBe(404);
    expect((await call(t, p.owner.token, 'DELETE', `/api/v1/orgs/${org.id}/projects/nope`)).statusCode).toBe(
      404,
    );
    expect((await call(t, p.owner.token, 'GET', `/api/v1/orgs/${org.id}/projects/shared`)).statusCode).toBe(
      200,
    );
  });
});

describe('DELETE /api/v1/orgs/:org', () => {
  it('owner only: an admin gets 403; a personal org is refused with 409', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const refused = await call(t, admin.token, 'DELETE', `/api/v1/orgs/${org.id}`);
    expect(refused.statusCode).toBe(403);
    const personal = await call(t, owner.token, 'DELETE', `/api/v1/orgs/${owner.personalOrgId}`);
    expect(personal.statusCode).toBe(409);
    expect(personal.json().error.hint).toBeTruthy();
    expect((await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}`)).statusCode).toBe(200);
  });

  it('deletes the org and everything in it; its keys stop working; its audit entries are kept', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const member = await addMember(t, owner.token, org.id, 'developer');
    const base = `/api/v1/orgs/${org.id}`;
    expect((await call(t, owner.token, 'POST', `${base}/projects`, { name: 'api' })).statusCode).toBe(201);
    expect(
      (await call(t, owner.token, 'POST', `${base}/projects/api/environments`, { name: 'production' }))
        .statusCode,
    ).toBe(201);
    const sa = await call(t, owner.token, 'POST', `${base}/service-accounts`, {
      name: 'bot',
      role: 'developer',
    });
    const saKey = (
      await call(t, owner.token, 'POST', `${base}/service-accounts/${sa.json().id}/keys`, {})
    ).json();
    const pk = (
      await call(t, owner.token, 'POST', `${base}/keys`, { name: 'ci', scopes: ['projects:read'] })
    ).json();
    expect((await call(t, saKey.token, 'GET', `${base}/projects`)).statusCode).toBe(200);
    expect(
      (await call(t, owner.token, 'POST', `${base}/invitations`, { email: 'later@example.com' })).statusCode,
    ).toBe(201);

    const res = await call(t, owner.token, 'DELETE', base);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: org.id,
      name: org.name,
      deleted: { projects: 1, environments: 1, members: 2 },
    });

    for (const token of [saKey.token, pk.token])
      expect((await call(t, token, 'GET', `${base}/projects`)).statusCode).toBe(401);
    expect((await call(t, owner.token, 'GET', base)).statusCode).toBe(404);
    expect(
      (await call(t, member.token, 'GET', '/api/v1/orgs')).json().items.map((o: { id: string }) => o.id),
    ).not.toContain(org.id);
    for (const table of [
      'projects',
      'environments',
      'memberships',
      'invitations',
      'service_accounts',
      'tokens',
    ]) {
      expect(await count(table, org.id), table).toBe(0);
    }
    const audit = await auditRows(t, org.id);
    expect(audit.at(-1)).toMatchObject({ action: 'org.deleted', target_id: org.id });
    expect(audit.at(-1)!.data).toMatchObject({ name: org.name, projects: 1, members: 2 });
    expect(audit.length).toBeGreaterThan(5);
    // The owners' own PATs and personal orgs are untouched.
    expect((await call(t, owner.token, 'GET', `/api/v1/orgs/${owner.personalOrgId}`)).statusCode).toBe(200);
  });
});

describe('POST /api/v1/pats/:id/rotate', () => {
  it('gives the PAT a new token with the same id, scopes and expiry; the old one is refused as replaced', async () => {
    const user = await t.signUp();
    const made = (
      await call(t, user.token, 'POST', '/api/v1/pats', {
        name: 'ci',
        scopes: ['projects:read'],
        expiresIn: '30d',
      })
    ).json();
    const res = await call(t, user.token, 'POST', `/api/v1/pats/${made.id}/rotate`);
    expect(res.statusCode, res.body).toBe(200);
    const rotated = res.json();
    expect(rotated).toMatchObject({
      id: made.id,
      name: 'ci',
      scopes: ['projects:read'],
      expiresAt: made.expiresAt,
      status: 'active',
    });
    expect(rotated.token).not.toBe(made.token);
    const old = await call(t, made.token, 'GET', '/api/v1/me');
    expect(old.statusCode).toBe(401);
    expect(old.json().error.message).toContain('replaced by rotation');
    expect((await call(t, rotated.token, 'GET', '/api/v1/me')).statusCode).toBe(200);
    const audit = await t.database.db.execute(
      sql`SELECT data FROM audit_events WHERE action = 'pat.rotated' AND target_id = ${made.id}`,
    );
    expect(audit.rows).toHaveLength(1);
    expect(JSON.stringify(audit.rows)).not.toContain(rotated.token);
  });

  it("a scoped PAT may rotate itself but not another; another user's PAT is 404; a revoked one 409", async () => {
    const user = await t.signUp();
    const scoped = (
      await call(t, user.token, 'POST', '/api/v1/pats', { name: 's', scopes: ['projects:read'] })
    ).json();
    const other = (await call(t, user.token, 'POST', '/api/v1/pats', { name: 'o' })).json();
    const refused = await call(t, scoped.token, 'POST', `/api/v1/pats/${other.id}/rotate`);
    expect(refused.statusCode).toBe(403);
    expect((await call(t, other.token, 'GET', '/api/v1/me')).statusCode).toBe(200);
    const self = await call(t, scoped.token, 'POST', `/api/v1/pats/${scoped.id}/rotate`);
    expect(self.statusCode, self.body).toBe(200);
    expect(self.json().scopes).toEqual(['projects:read']);
    const stranger = await t.signUp();
    expect((await call(t, stranger.token, 'POST', `/api/v1/pats/${other.id}/rotate`)).statusCode).toBe(404);
    expect((await call(t, user.token, 'DELETE', `/api/v1/pats/${other.id}`)).statusCode).toBe(200);
    expect((await call(t, user.token, 'POST', `/api/v1/pats/${other.id}/rotate`)).statusCode).toBe(409);
  });
});

describe('POST /api/v1/orgs/:org/service-accounts/:id/keys/:keyId/rotate', () => {
  it('keeps the key, both secrets work for the grace period; within the delegation rule only', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const base = `/api/v1/orgs/${org.id}/service-accounts`;
    expect((await call(t, owner.token, 'POST', base, { name: 'bot', role: 'admin' })).statusCode).toBe(201);
    const key = (await call(t, owner.token, 'POST', `${base}/bot/keys`, { name: 'deploy' })).json();
    const res = await call(t, owner.token, 'POST', `${base}/bot/keys/${key.id}/rotate`, {
      gracePeriod: '1h',
    });
    expect(res.statusCode, res.body).toBe(200);
    const rotated = res.json();
    expect(rotated).toMatchObject({ id: key.id, name: 'deploy', status: 'rotating' });
    expect(new Date(rotated.rotatingUntil).getTime() - t.clock.now().getTime()).toBe(3_600_000);
    const works = async (token: string) =>
      (await call(t, token, 'GET', `/api/v1/orgs/${org.id}/projects`)).statusCode;
    expect(await works(key.token)).toBe(200);
    expect(await works(rotated.token)).toBe(200);
    t.clock.advance(3_600_000 + 1000);
    expect(await works(key.token)).toBe(401);
    expect(await works(rotated.token)).toBe(200);
    const audit = (await auditRows(t, org.id)).filter((r) => r.action === 'service_account_key.rotated');
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(rotated.token);

    // A developer may make keys for developer accounts only: receiving an admin account's secret is refused.
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const refused = await call(t, dev.token, 'POST', `${base}/bot/keys/${key.id}/rotate`, {});
    expect(refused.statusCode).toBe(403);
    expect(await works(rotated.token)).toBe(200);
    // Bad input: 400 with a code and a hint, nothing changed.
    const bad = await call(t, owner.token, 'POST', `${base}/bot/keys/${key.id}/rotate`, {
      gracePeriod: '90d',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.hint).toBeTruthy();
    expect(await works(rotated.token)).toBe(200);
  });
});
