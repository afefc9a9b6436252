import { parseToken, permissionList, ROLE_PERMISSIONS } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import {
  addMember,
  auditRows,
  call,
  createKey,
  createOrg,
  createServiceAccount,
  createServiceAccountKey,
  probe,
} from './fixtures.js';

const t = useTestApp();

describe('service accounts', () => {
  it('creates an account and a key that acts with the account role', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const sa = await createServiceAccount(t, owner.token, org.id, 'deploy-bot', 'developer');
    expect(sa).toMatchObject({
      name: 'deploy-bot',
      role: 'developer',
      createdBy: owner.email,
      activeKeys: 0,
    });

    const key = await createServiceAccountKey(t, owner.token, org.id, 'DEPLOY-BOT', { expiresIn: '90d' });
    expect(parseToken(key.token)?.prefix).toBe('lk_sa_');
    expect(key).toMatchObject({ name: 'deploy-bot', status: 'active', serviceAccount: { id: sa.id } });

    const me = await probe(t, key.token, '/api/v1/me');
    expect(me.body).toMatchObject({
      user: null,
      org: { id: org.id },
      token: { id: key.id, kind: 'service_account_key' },
    });
    // A developer reads members and lists platform keys, but cannot invite (members:write).
    expect((await probe(t, key.token, `/api/v1/orgs/${org.id}/members`)).status).toBe(200);
    const invite = await call(t, key.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
      email: 'x@example.com',
    });
    expect(invite.statusCode).toBe(403);
    expect(invite.json().error.message).toContain('developer');
    // Only people make platform keys and PATs.
    const pk = await call(t, key.token, 'POST', `/api/v1/orgs/${org.id}/keys`, {
      name: 'k',
      scopes: ['deploy:read'],
    });
    expect(pk.statusCode).toBe(403);
    expect((await call(t, key.token, 'POST', '/api/v1/pats', { name: 'p' })).statusCode).toBe(403);

    const list = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/service-accounts`);
    expect(list.json().items).toEqual([expect.objectContaining({ id: sa.id, activeKeys: 1 })]);
    const keys = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/service-accounts/${sa.id}/keys`);
    expect(keys.json().items).toEqual([
      expect.objectContaining({ id: key.id, prefix: key.token.slice(0, 10) }),
    ]);
    expect(keys.body).not.toContain(key.token);
  });

  it('refuses duplicate names (any case), the owner role, and bad names', async () => {
    const owner = await t.signUp();
    const orgId = owner.personalOrgId;
    await createServiceAccount(t, owner.token, orgId, 'CI', 'viewer');
    const dup = await call(t, owner.token, 'POST', `/api/v1/orgs/${orgId}/service-accounts`, {
      name: 'ci',
      role: 'viewer',
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.hint).toContain('another name');
    for (const body of [
      { name: 'x', role: 'owner' },
      { name: '', role: 'viewer' },
      { name: '/etc', role: 'viewer' },
      { name: 'x' },
    ]) {
      const res = await call(t, owner.token, 'POST', `/api/v1/orgs/${orgId}/service-accounts`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('lets nobody grant more than they have', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const devRes = await call(t, dev.token, 'POST', `/api/v1/orgs/${org.id}/service-accounts`, {
      name: 'a',
      role: 'viewer',
    });
    expect(devRes.statusCode).toBe(403);
    expect(devRes.json().error.message).toContain('service_accounts:write');
    await createServiceAccount(t, admin.token, org.id, 'admin-bot', 'admin');

    // A token scoped to service_accounts:write alone cannot mint a viewer's broader reach.
    const scoped = await t.signUp(undefined, { scopes: ['service_accounts:write'] });
    const res = await call(t, scoped.token, 'POST', `/api/v1/orgs/${scoped.personalOrgId}/service-accounts`, {
      name: 'reader',
      role: 'viewer',
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.details.missing).toContain('projects:read');
  });

  it('keeps working after its creator leaves the org', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const admin = await addMember(t, owner.token, org.id, 'admin');
    await createServiceAccount(t, admin.token, org.id, 'release-bot', 'developer');
    const key = await createServiceAccountKey(t, admin.token, org.id, 'release-bot');
    const left = await call(t, admin.token, 'POST', `/api/v1/orgs/${org.id}/leave`);
    expect(left.statusCode, left.body).toBe(200);
    expect((await probe(t, key.token, `/api/v1/orgs/${org.id}/members`)).status).toBe(200);
    // And the leaver's own PAT no longer reaches the org.
    expect((await probe(t, admin.token, `/api/v1/orgs/${org.id}/members`)).status).toBe(404);
  });

  it('deletes an account (by name, any case): its keys answer 401 TOKEN_REVOKED, all in one audited change', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const sa = await createServiceAccount(t, owner.token, org.id, 'Nightly', 'viewer');
    const keys = [
      await createServiceAccountKey(t, owner.token, org.id, sa.id, { name: 'one' }),
      await createServiceAccountKey(t, owner.token, org.id, sa.id, { name: 'two' }),
    ];
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const dev = await addMember(t, owner.token, org.id, 'developer');
    expect(
      (await call(t, dev.token, 'DELETE', `/api/v1/orgs/${org.id}/service-accounts/nightly`)).statusCode,
    ).toBe(403);
    const deleted = await call(t, admin.token, 'DELETE', `/api/v1/orgs/${org.id}/service-accounts/nightly`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    for (const key of keys) {
      const res = await probe(t, key.token, '/api/v1/me');
      expect(res).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    }
    expect(
      (await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/service-accounts`)).json().items,
    ).toEqual([]);
    expect(
      (await call(t, admin.token, 'DELETE', `/api/v1/orgs/${org.id}/service-accounts/${sa.id}`)).statusCode,
    ).toBe(404);
    // The name is free again.
    await createServiceAccount(t, owner.token, org.id, 'nightly', 'viewer');

    const audit = (await auditRows(t, org.id)).filter((r) => r.action.startsWith('service_account'));
    expect(audit.map((r) => r.action)).toEqual([
      'service_account.created',
      'service_account_key.created',
      'service_account_key.created',
      'service_account.deleted',
      'service_account.created',
    ]);
    expect(audit[3]!.data).toMatchObject({ name: 'Nightly', keysRevoked: 2 });
    for (const key of keys) expect(JSON.stringify(audit)).not.toContain(key.token.slice(10, 30));
  });

  it('refuses the keys of an account deleted without revoking them (defence in depth)', async () => {
    const owner = await t.signUp();
    const sa = await createServiceAccount(t, owner.token, owner.personalOrgId, 'raw', 'viewer');
    const key = await createServiceAccountKey(t, owner.token, owner.personalOrgId, sa.id);
    await t.database.db.execute(sql`UPDATE service_accounts SET deleted_at = now() WHERE id = ${sa.id}`);
    const res = await probe(t, key.token, '/api/v1/me');
    expect(res).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    expect(res.body.error.message).toContain('deleted');
  });

  it('revokes one key at once; expiry is honoured; other orgs are out of reach', async () => {
    const owner = await t.signUp();
    const orgId = owner.personalOrgId;
    const sa = await createServiceAccount(t, owner.token, orgId, 'bot', 'viewer');
    const keep = await createServiceAccountKey(t, owner.token, orgId, 'bot', {
      name: 'keep',
      expiresIn: '1h',
    });
    const drop = await createServiceAccountKey(t, owner.token, orgId, 'bot', { name: 'drop' });
    const revoked = await call(
      t,
      owner.token,
      'DELETE',
      `/api/v1/orgs/${orgId}/service-accounts/bot/keys/${drop.id}`,
    );
    expect(revoked.json()).toMatchObject({ id: drop.id, status: 'revoked' });
    expect(await probe(t, drop.token, '/api/v1/me')).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    expect((await probe(t, keep.token, `/api/v1/orgs/${orgId}`)).status).toBe(200);

    const stranger = await t.signUp();
    expect(await probe(t, keep.token, `/api/v1/orgs/${stranger.personalOrgId}`)).toMatchObject({
      status: 404,
    });
    const foreign = await call(
      t,
      stranger.token,
      'DELETE',
      `/api/v1/orgs/${stranger.personalOrgId}/service-accounts/${sa.id}/keys/${keep.id}`,
    );
    expect(foreign.statusCode).toBe(404);
    const wrongAccount = await createServiceAccount(t, owner.token, orgId, 'other', 'viewer');
    const mismatch = await call(
      t,
      owner.token,
      'DELETE',
      `/api/v1/orgs/${orgId}/service-accounts/${wrongAccount.id}/keys/${keep.id}`,
    );
    expect(mismatch.statusCode).toBe(404);

    const badExpiry = await call(t, owner.token, 'POST', `/api/v1/orgs/${orgId}/service-accounts/bot/keys`, {
      expiresIn: '400d',
    });
    expect(badExpiry.statusCode).toBe(400);

    t.clock.advance(3_600_000);
    expect(await probe(t, keep.token, '/api/v1/me')).toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    const keys = await call(t, owner.token, 'GET', `/api/v1/orgs/${orgId}/service-accounts/bot/keys`);
    const statuses = Object.fromEntries(
      keys.json().items.map((k: { name: string; status: string }) => [k.name, k.status]),
    );
    expect(statuses).toEqual({ keep: 'expired', drop: 'revoked' });
  });
});

describe('service-account keys never outlive, or outreach, the credential that makes them', () => {
  const HOUR = 3_600_000;
  // Everything a viewer account holds, plus the right to make its keys.
  const viewerAndKeys = [
    ...permissionList(ROLE_PERMISSIONS.viewer).filter((p) => !p.startsWith('service_accounts:')),
    'service_accounts:write',
  ];
  const keysOf = (orgId: string) => `/api/v1/orgs/${orgId}/service-accounts/reader/keys`;

  it('a scoped 1h PAT cannot make a 30d key; without expiresIn the key ends with the PAT', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    await createServiceAccount(t, owner.token, org.id, 'reader', 'viewer');
    const pat = await t.app.services.tokens.createPat(owner.actor, {
      name: 'ci',
      scopes: viewerAndKeys,
      expiresIn: '1h',
    });
    const longer = await call(t, pat.token, 'POST', keysOf(org.id), { expiresIn: '30d' });
    expect(longer.statusCode, longer.body).toBe(403);
    expect(longer.json().error.code).toBe('PERMISSION_DENIED');
    expect(longer.json().error.hint).toContain('--expires');
    const capped = await createServiceAccountKey(t, pat.token, org.id, 'reader');
    expect(capped.expiresAt).toBe(pat.expiresAt);
    t.clock.advance(HOUR + 1000);
    expect(await probe(t, capped.token, '/api/v1/me')).toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
  });

  it('a service-account key that expires in 2h cannot make a 30d key for its account', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    await createServiceAccount(t, owner.token, org.id, 'reader', 'admin');
    const short = await createServiceAccountKey(t, owner.token, org.id, 'reader', { expiresIn: '2h' });
    const res = await call(t, short.token, 'POST', keysOf(org.id), { expiresIn: '30d' });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().error.message).toContain('service account reader');
    const within = await call(t, short.token, 'POST', keysOf(org.id), { expiresIn: '1h' });
    expect(within.statusCode, within.body).toBe(201);
  });

  it('a platform key holding only service_accounts:write cannot make a viewer key; one holding the role can', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    await createServiceAccount(t, owner.token, org.id, 'reader', 'viewer');
    const narrow = await createKey(t, owner.token, org.id, { scopes: ['service_accounts:write'] });
    const refused = await call(t, narrow.token, 'POST', keysOf(org.id), {});
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().error.details.missing).toContain('projects:read');
    const wide = await createKey(t, owner.token, org.id, { scopes: viewerAndKeys });
    const made = await call(t, wide.token, 'POST', keysOf(org.id), {});
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json().expiresAt).toBeNull();
  });

  it("records each key change with the account, the key's name and prefix, and never its secret", async () => {
    const owner = await t.signUp();
    const orgId = owner.personalOrgId;
    const sa = await createServiceAccount(t, owner.token, orgId, 'audited', 'viewer');
    const key = await createServiceAccountKey(t, owner.token, orgId, 'audited', {
      name: 'ci',
      expiresIn: '30d',
    });
    const base = `/api/v1/orgs/${orgId}/service-accounts/audited/keys/${key.id}`;
    const rotated = await call(t, owner.token, 'POST', `${base}/rotate`, { gracePeriod: '1h' });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const validUntil = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    expect((await call(t, owner.token, 'DELETE', base)).statusCode).toBe(200);

    const rows = (await auditRows(t, orgId)).filter((r) => r.action.startsWith('service_account_key.'));
    const who = { serviceAccount: { id: sa.id, name: 'audited' }, name: 'ci' };
    const newPrefix = rotated.json().prefix;
    expect(
      rows.map(({ action, target_type, target_id, data }) => ({ action, target_type, target_id, data })),
    ).toEqual([
      {
        action: 'service_account_key.created',
        target_type: 'service_account_key',
        target_id: key.id,
        data: { ...who, prefix: key.prefix, expiresAt: key.expiresAt },
      },
      {
        action: 'service_account_key.rotated',
        target_type: 'service_account_key',
        target_id: key.id,
        data: {
          ...who,
          prefix: newPrefix,
          previousPrefix: key.prefix,
          gracePeriod: '1h',
          previousValidUntil: validUntil,
        },
      },
      {
        action: 'service_account_key.revoked',
        target_type: 'service_account_key',
        target_id: key.id,
        data: { ...who, prefix: newPrefix },
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(key.token);
    expect(JSON.stringify(rows)).not.toContain(rotated.json().token);
  });
});
