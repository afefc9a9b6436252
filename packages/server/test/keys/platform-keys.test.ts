import { parseToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
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
const DAY = 86_400_000;

describe('platform keys', () => {
  it('creates a key shown once, lists it without the secret, and revokes it at once', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const res = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/keys`, {
      name: 'GitHub Actions',
      scopes: ['deploy:write', 'platform_keys:read', 'deploy:write'],
      expiresIn: '90d',
    });
    expect(res.statusCode, res.body).toBe(201);
    const key = res.json();
    expect(parseToken(key.token)?.prefix).toBe('lk_key_');
    expect(key).toMatchObject({
      kind: 'platform_key',
      name: 'GitHub Actions',
      prefix: key.token.slice(0, 11),
      scopes: ['deploy:write', 'platform_keys:read'],
      createdBy: owner.email,
      status: 'active',
      rotatingUntil: null,
      lastUsedAt: null,
    });
    expect(new Date(key.expiresAt).getTime() - t.clock.now().getTime()).toBe(90 * DAY);

    // The key acts in its org, capped by its scopes.
    const me = await probe(t, key.token, '/api/v1/me');
    expect(me.body).toMatchObject({
      user: null,
      org: { id: org.id },
      token: { id: key.id, kind: 'platform_key' },
    });
    expect((await probe(t, key.token, `/api/v1/orgs/${org.id}/keys`)).status).toBe(200);
    const capped = await probe(t, key.token, `/api/v1/orgs/${org.id}/members`);
    expect(capped).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
    expect(capped.body.error.message).toContain('members:read');

    const list = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/keys`);
    expect(list.json().items).toEqual([expect.objectContaining({ id: key.id, status: 'active' })]);
    expect(list.body).not.toContain(key.token);
    const stored = await t.database.db.execute(sql`SELECT * FROM tokens WHERE id = ${key.id}`);
    expect(JSON.stringify(stored.rows)).not.toContain(key.token.slice(11));

    const revoked = await call(t, owner.token, 'DELETE', `/api/v1/orgs/${org.id}/keys/${key.id}`);
    expect(revoked.json()).toMatchObject({ id: key.id, status: 'revoked' });
    expect(await probe(t, key.token, '/api/v1/me')).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    // Revoking again is a no-op, and records nothing more.
    expect((await call(t, owner.token, 'DELETE', `/api/v1/orgs/${org.id}/keys/${key.id}`)).statusCode).toBe(
      200,
    );

    const audit = (await auditRows(t, org.id)).filter((r) => r.action.startsWith('platform_key.'));
    expect(audit.map((r) => r.action)).toEqual(['platform_key.created', 'platform_key.revoked']);
    expect(audit[0]).toMatchObject({ actor_id: owner.userId, target_id: key.id });
    expect(audit[0]!.data).toMatchObject({ name: 'GitHub Actions', prefix: key.prefix });
    expect(JSON.stringify(audit)).not.toContain(key.token.slice(11, 30));
  });

  it("says what to do about a missing permission for the credential's kind", async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const hintFor = async (token: string, method: 'GET' | 'POST', url: string, body?: unknown) => {
      const res = await call(t, token, method, url, body);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe('PERMISSION_DENIED');
      return res.json().error.hint as string;
    };
    // A person without the role: ask for one.
    const viewer = await addMember(t, owner.token, org.id, 'viewer');
    expect(
      await hintFor(viewer.token, 'POST', `/api/v1/orgs/${org.id}/service-accounts`, {
        name: 'x',
        role: 'viewer',
      }),
    ).toBe('Ask an owner or admin of the org for a role that grants it.');
    // A platform key: a key with that scope.
    const key = await createKey(t, owner.token, org.id, { scopes: ['deploy:write'] });
    const keyHint = await hintFor(key.token, 'GET', `/api/v1/orgs/${org.id}/members`);
    expect(keyHint).toContain('latch keys create <name> -s members:read');
    expect(keyHint).not.toMatch(/Ask an owner/);
    // A service account: its role.
    await createServiceAccount(t, owner.token, org.id, 'reader', 'viewer');
    const sa = await createServiceAccountKey(t, owner.token, org.id, 'reader');
    expect(
      await hintFor(sa.token, 'POST', `/api/v1/orgs/${org.id}/service-accounts`, {
        name: 'y',
        role: 'viewer',
      }),
    ).toBe(
      'Service account reader has role viewer: ask an owner or admin of the org to give it a role that grants service_accounts:write.',
    );
    // A scoped PAT whose holder's role allows it: a token with that scope.
    const scoped = await t.signUp(undefined, { scopes: ['projects:read'] });
    const patHint = await hintFor(scoped.token, 'GET', `/api/v1/orgs/${scoped.personalOrgId}/members`);
    expect(patHint).toContain("this token's scopes leave it out");
    expect(patHint).toContain('latch pats create <name> -s members:read');
  });

  it('refuses bad input with the rule and the valid scopes', async () => {
    const owner = await t.signUp();
    const orgId = owner.personalOrgId;
    const unknown = await call(t, owner.token, 'POST', `/api/v1/orgs/${orgId}/keys`, {
      name: 'x',
      scopes: ['deploy:admin'],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('"deploy:admin"');
    expect(unknown.json().error.hint).toContain('deploy:read|write|manage');
    expect(unknown.json().error.hint).toContain('audit:read,');
    const cases = [
      { name: 'x', scopes: [] },
      { name: 'x' },
      { name: '', scopes: ['deploy:read'] },
      { name: 'x'.repeat(101), scopes: ['deploy:read'] },
      { name: 'x', scopes: ['deploy:read'], expiresIn: '30m' },
      { name: 'x', scopes: ['deploy:read'], expiresIn: '366d' },
      { name: 'x', scopes: ['deploy:read'], admin: true },
    ];
    for (const body of cases) {
      const res = await call(t, owner.token, 'POST', `/api/v1/orgs/${orgId}/keys`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('INVALID_INPUT');
      expect(res.json().error.hint).toBeTruthy();
    }
    const none = await t.database.db.execute(
      sql`SELECT count(*)::int AS n FROM tokens WHERE org_id = ${orgId}`,
    );
    expect(none.rows[0]).toEqual({ n: 0 });
  });

  it('never gives a key more than its creator has (role, or a scoped token)', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const res = await call(t, dev.token, 'POST', `/api/v1/orgs/${org.id}/keys`, {
      name: 'too much',
      scopes: ['deploy:write', 'members:write', 'projects:manage'],
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({
      code: 'PERMISSION_DENIED',
      details: { missing: ['members:write', 'projects:manage'] },
    });
    expect(res.json().error.message).toContain('developer');

    const scoped = await t.signUp(undefined, { scopes: ['platform_keys:write', 'deploy:read'] });
    const scopedRes = await call(t, scoped.token, 'POST', `/api/v1/orgs/${scoped.personalOrgId}/keys`, {
      name: 'wider than the PAT',
      scopes: ['deploy:write'],
    });
    expect(scopedRes.statusCode).toBe(403);
    expect(scopedRes.json().error.details).toEqual({ missing: ['deploy:write'] });
  });

  it('suspends a key whose creator is removed from the org (KEY_SUSPENDED, with the hint)', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const key = await createKey(t, dev.token, org.id, { scopes: ['deploy:write', 'platform_keys:read'] });
    expect((await probe(t, key.token, `/api/v1/orgs/${org.id}/keys`)).status).toBe(200);

    const removed = await call(
      t,
      owner.token,
      'DELETE',
      `/api/v1/orgs/${org.id}/members/${encodeURIComponent(dev.email)}`,
    );
    expect(removed.statusCode, removed.body).toBe(200);

    const res = await probe(t, key.token, `/api/v1/orgs/${org.id}/keys`);
    expect(res).toMatchObject({ status: 403, code: 'KEY_SUSPENDED' });
    expect(res.body.error.message).toContain('no longer a member');
    expect(res.body.error.hint).toContain('service account');
    const list = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/keys`);
    expect(list.json().items[0]).toMatchObject({ id: key.id, status: 'suspended', createdBy: dev.email });
  });

  it('suspends a key while its creator is demoted below its scopes, and revives it on promotion', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const key = await createKey(t, admin.token, org.id, { scopes: ['members:manage', 'members:read'] });
    const url = `/api/v1/orgs/${org.id}/members`;
    expect((await probe(t, key.token, url)).status).toBe(200);

    const setRole = (role: string) => call(t, owner.token, 'PATCH', `${url}/${admin.userId}`, { role });
    expect((await setRole('developer')).statusCode).toBe(200);
    const res = await probe(t, key.token, url);
    expect(res).toMatchObject({ status: 403, code: 'KEY_SUSPENDED' });
    expect(res.body.error.message).toContain('members:manage');
    const listed = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/keys`);
    expect(listed.json().items[0].status).toBe('suspended');

    expect((await setRole('admin')).statusCode).toBe(200);
    expect((await probe(t, key.token, url)).status).toBe(200);
  });

  it('cannot reach another org, even one its creator belongs to (404)', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const key = await createKey(t, owner.token, org.id, { scopes: ['org:read', 'platform_keys:read'] });
    expect((await probe(t, key.token, `/api/v1/orgs/${org.id}`)).status).toBe(200);
    for (const other of [owner.personalOrgId, (await t.signUp()).personalOrgId]) {
      expect(await probe(t, key.token, `/api/v1/orgs/${other}/keys`)).toMatchObject({
        status: 404,
        code: 'NOT_FOUND',
      });
    }
  });

  it('is refused where only a person may act: creating PATs or platform keys', async () => {
    const owner = await t.signUp();
    const key = await createKey(t, owner.token, owner.personalOrgId, { scopes: ['platform_keys:write'] });
    const pat = await call(t, key.token, 'POST', '/api/v1/pats', { name: 'escape' });
    expect(pat.statusCode).toBe(403);
    expect(pat.json().error.hint).toContain('latch login');
    const another = await call(t, key.token, 'POST', `/api/v1/orgs/${owner.personalOrgId}/keys`, {
      name: 'child',
      scopes: ['platform_keys:write'],
    });
    expect(another.statusCode).toBe(403);
    expect(another.json().error.message).toContain('Only a person');
  });

  it("lets developers revoke their own keys; someone else's needs platform_keys:manage", async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const ana = await addMember(t, owner.token, org.id, 'developer');
    const bo = await addMember(t, owner.token, org.id, 'developer');
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const anas = await createKey(t, ana.token, org.id, { scopes: ['deploy:write'] });
    const bos = await createKey(t, bo.token, org.id, { scopes: ['deploy:write'] });

    const denied = await call(t, ana.token, 'DELETE', `/api/v1/orgs/${org.id}/keys/${bos.id}`);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toMatchObject({
      code: 'PERMISSION_DENIED',
      details: { required: 'platform_keys:manage' },
    });
    const rotateDenied = await call(t, ana.token, 'POST', `/api/v1/orgs/${org.id}/keys/${bos.id}/rotate`, {});
    expect(rotateDenied.statusCode).toBe(403);

    expect((await call(t, ana.token, 'DELETE', `/api/v1/orgs/${org.id}/keys/${anas.id}`)).statusCode).toBe(
      200,
    );
    expect((await call(t, admin.token, 'DELETE', `/api/v1/orgs/${org.id}/keys/${bos.id}`)).statusCode).toBe(
      200,
    );

    const viewer = await addMember(t, owner.token, org.id, 'viewer');
    const viewerCreate = await call(t, viewer.token, 'POST', `/api/v1/orgs/${org.id}/keys`, {
      name: 'v',
      scopes: ['deploy:read'],
    });
    expect(viewerCreate.statusCode).toBe(403);
    // Another org's key id answers like a missing one.
    const stranger = await t.signUp();
    const foreign = await call(
      t,
      stranger.token,
      'DELETE',
      `/api/v1/orgs/${stranger.personalOrgId}/keys/${anas.id}`,
    );
    expect(foreign.statusCode).toBe(404);
  });

  it('records last use at most once a minute, off the request path', async () => {
    const owner = await t.signUp();
    const key = await createKey(t, owner.token, owner.personalOrgId, { scopes: ['platform_keys:read'] });
    const query = vi.spyOn(t.database.pool, 'query');
    const writes = () =>
      query.mock.calls.filter((c) => {
        const q = c[0] as unknown as string | { text?: string };
        return /update tokens as t set last_used_at/i.test(typeof q === 'string' ? q : (q.text ?? ''));
      }).length;
    const lastUsedAt = async () =>
      (await call(t, owner.token, 'GET', `/api/v1/orgs/${owner.personalOrgId}/keys`)).json().items[0]
        .lastUsedAt as string | null;
    try {
      for (let i = 0; i < 3; i++) await probe(t, key.token, '/api/v1/me');
      expect(writes()).toBe(0); // nothing on the request path
      await t.app.services.lastUsed.flush();
      expect(writes()).toBe(1);
      const first = await lastUsedAt();
      expect(first).not.toBeNull();
      t.clock.advance(59_000);
      await probe(t, key.token, '/api/v1/me');
      await t.app.services.lastUsed.flush();
      expect(writes()).toBe(1);
      t.clock.advance(2_000);
      await probe(t, key.token, '/api/v1/me');
      await t.app.services.lastUsed.flush();
      expect(writes()).toBe(2);
      expect(await lastUsedAt()).not.toBe(first);
    } finally {
      query.mockRestore();
    }
  });

  it('lists expiring and expired keys by status, and an expired key answers TOKEN_EXPIRED', async () => {
    const owner = await t.signUp();
    const orgId = owner.personalOrgId;
    const key = await createKey(t, owner.token, orgId, { scopes: ['platform_keys:read'], expiresIn: '8d' });
    const statusNow = async () =>
      (await call(t, owner.token, 'GET', `/api/v1/orgs/${orgId}/keys`)).json().items[0].status;
    expect(await statusNow()).toBe('active');
    t.clock.advance(2 * DAY);
    expect(await statusNow()).toBe('expiring');
    t.clock.advance(6 * DAY);
    expect(await statusNow()).toBe('expired');
    expect(await probe(t, key.token, '/api/v1/me')).toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
  });
});

describe('the OpenAPI document', () => {
  it('describes the key and service-account routes from the same schemas', async () => {
    const doc = (await t.app.inject({ url: '/api/v1/openapi.json' })).json();
    for (const path of [
      '/api/v1/orgs/{org}/keys',
      '/api/v1/orgs/{org}/keys/{id}/rotate',
      '/api/v1/orgs/{org}/service-accounts/{id}/keys/{keyId}',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });
});
