import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { addMember, auditRows, call, createKey, createOrg, probe } from './fixtures.js';

const t = useTestApp();
const HOUR = 3_600_000;

async function setUp(expiresIn?: string) {
  const owner = await t.signUp();
  const orgId = owner.personalOrgId;
  const key = await createKey(t, owner.token, orgId, {
    name: 'deployer',
    scopes: ['deploy:write', 'platform_keys:read'],
    ...(expiresIn ? { expiresIn } : {}),
  });
  const rotate = (body: object = {}) =>
    call(t, owner.token, 'POST', `/api/v1/orgs/${orgId}/keys/${key.id}/rotate`, body);
  const works = async (token: string) => (await probe(t, token, `/api/v1/orgs/${orgId}/keys`)).status === 200;
  return { owner, orgId, key, rotate, works };
}

describe('platform key rotation', () => {
  it('keeps id, name and scopes; both secrets work for the grace period (24h by default), then only the new one', async () => {
    const { orgId, key, rotate, works, owner } = await setUp();
    const res = await rotate();
    expect(res.statusCode, res.body).toBe(200);
    const rotated = res.json();
    expect(rotated).toMatchObject({ id: key.id, name: 'deployer', scopes: key.scopes, status: 'rotating' });
    expect(rotated.token).not.toBe(key.token);
    expect(new Date(rotated.rotatingUntil).getTime() - t.clock.now().getTime()).toBe(24 * HOUR);

    expect(await works(key.token)).toBe(true);
    expect(await works(rotated.token)).toBe(true);
    t.clock.advance(24 * HOUR - 1000);
    expect(await works(key.token)).toBe(true);

    t.clock.advance(2000);
    const old = await probe(t, key.token, `/api/v1/orgs/${orgId}/keys`);
    expect(old).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
    expect(old.body.error.message).toContain('replaced by rotation');
    expect(await works(rotated.token)).toBe(true);
    const listed = (await call(t, owner.token, 'GET', `/api/v1/orgs/${orgId}/keys`)).json().items[0];
    expect(listed).toMatchObject({ status: 'active', rotatingUntil: null, prefix: rotated.prefix });

    const audit = (await auditRows(t, orgId)).filter((r) => r.action === 'platform_key.rotated');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.data).toMatchObject({
      prefix: rotated.prefix,
      previousPrefix: key.prefix,
      gracePeriod: '1d',
    });
    expect(JSON.stringify(audit)).not.toContain(rotated.token.slice(11, 30));
    expect(JSON.stringify(audit)).not.toContain(key.token.slice(11, 30));
  });

  it('grace period 0 ends the old secret at once', async () => {
    const { key, rotate, works } = await setUp();
    const rotated = (await rotate({ gracePeriod: 0 })).json();
    expect(rotated.status).toBe('active');
    expect(await works(key.token)).toBe(false);
    expect(await works(rotated.token)).toBe(true);
  });

  it("never keeps the old secret past the key's own expiry", async () => {
    const { key, rotate, works } = await setUp('2h');
    const rotated = (await rotate({ gracePeriod: '24h' })).json();
    expect(rotated.rotatingUntil).toBe(rotated.expiresAt);
    t.clock.advance(2 * HOUR);
    expect(await probe(t, key.token, '/api/v1/me')).toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    expect(await works(rotated.token)).toBe(false);
  });

  it('rotating again ends the older secret: only one replaced secret is kept', async () => {
    const { key, rotate, works } = await setUp();
    const second = (await rotate({ gracePeriod: '1h' })).json();
    const third = (await rotate({ gracePeriod: '1h' })).json();
    expect(await works(key.token)).toBe(false);
    expect(await works(second.token)).toBe(true);
    expect(await works(third.token)).toBe(true);
  });

  it('refuses grace periods outside 0..30d and keys that are revoked', async () => {
    const { orgId, key, rotate, owner } = await setUp();
    for (const gracePeriod of ['31d', 'soon', -1]) {
      const res = await rotate({ gracePeriod });
      expect(res.statusCode, String(gracePeriod)).toBe(400);
      expect(res.json().error.hint).toContain('30d');
    }
    await call(t, owner.token, 'DELETE', `/api/v1/orgs/${orgId}/keys/${key.id}`);
    const res = await rotate();
    expect(res.statusCode).toBe(409);
    expect(res.json().error.hint).toContain('latch keys create');
  });

  it('revoking a rotating key ends both secrets', async () => {
    const { orgId, key, rotate, owner } = await setUp();
    const rotated = (await rotate()).json();
    await call(t, owner.token, 'DELETE', `/api/v1/orgs/${orgId}/keys/${key.id}`);
    for (const token of [key.token, rotated.token]) {
      expect(await probe(t, token, '/api/v1/me')).toMatchObject({ status: 401, code: 'TOKEN_REVOKED' });
    }
  });
});

describe('who receives a rotated secret', () => {
  const rotateWith = (token: string, orgId: string, id: string, body: object = { gracePeriod: 0 }) =>
    call(t, token, 'POST', `/api/v1/orgs/${orgId}/keys/${id}/rotate`, body);
  const secretsOf = (orgId: string) => `/api/v1/orgs/${orgId}/keys`;

  it('a platform key (K1, platform_keys:write) cannot rotate K2 (secrets:read): K2 keeps working', async () => {
    const owner = await t.signUp();
    const orgId = owner.personalOrgId;
    const k1 = await createKey(t, owner.token, orgId, { name: 'k1', scopes: ['platform_keys:write'] });
    const k2 = await createKey(t, owner.token, orgId, {
      name: 'k2',
      scopes: ['secrets:read', 'platform_keys:read'],
    });
    const res = await rotateWith(k1.token, orgId, k2.id);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().error.code).toBe('PERMISSION_DENIED');
    expect(res.json().error.hint).toContain('latch login');
    expect(res.body).not.toMatch(/lk_key_\w{20,}/);
    expect((await probe(t, k2.token, secretsOf(orgId))).status).toBe(200);
    // Revoking within its permission is still allowed: it hands out nothing.
    const revoked = await call(t, k1.token, 'DELETE', `/api/v1/orgs/${orgId}/keys/${k2.id}`);
    expect(revoked.statusCode, revoked.body).toBe(200);
  });

  it('a PAT scoped to platform_keys:write cannot rotate a secrets:read key; one that also has secrets:read can', async () => {
    const owner = await t.signUp();
    const orgId = owner.personalOrgId;
    // It expires before the PATs below do, so only its scopes decide.
    const k2 = await createKey(t, owner.token, orgId, {
      name: 'k2',
      scopes: ['secrets:read', 'platform_keys:read'],
      expiresIn: '30d',
    });
    const mint = async (scopes: string[]) =>
      (await t.app.services.tokens.createPat(owner.actor, { name: 'narrow', scopes })).token;
    const narrow = await rotateWith(await mint(['platform_keys:write']), orgId, k2.id);
    expect(narrow.statusCode, narrow.body).toBe(403);
    expect(narrow.json().error.details.missing).toEqual(['secrets:read']);
    expect(narrow.json().error.hint).toContain('latch login');
    expect((await probe(t, k2.token, secretsOf(orgId))).status).toBe(200);

    const enough = await rotateWith(await mint(['platform_keys:write', 'secrets:read']), orgId, k2.id);
    expect(enough.statusCode, enough.body).toBe(200);
  });

  it("an admin cannot rotate an owner's org:manage key (she could not have created it)", async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const admin = await addMember(t, owner.token, org.id, 'admin');
    const key = await createKey(t, owner.token, org.id, { name: 'owner-key', scopes: ['org:manage'] });
    const res = await rotateWith(admin.token, org.id, key.id);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().error.details.missing).toEqual(['org:manage']);
    expect(res.json().error.message).toContain('admin');
    expect((await probe(t, key.token, `/api/v1/orgs/${org.id}`)).status).toBe(200);
    // Revoking anyone's key is what platform_keys:manage is for.
    expect((await call(t, admin.token, 'DELETE', `/api/v1/orgs/${org.id}/keys/${key.id}`)).statusCode).toBe(
      200,
    );
  });

  it("a scoped PAT cannot receive a key's secret that outlives it", async () => {
    const owner = await t.signUp();
    const orgId = owner.personalOrgId;
    const key = await createKey(t, owner.token, orgId, { name: 'forever', scopes: ['deploy:read'] });
    const pat = await t.app.services.tokens.createPat(owner.actor, {
      name: 'short',
      scopes: ['platform_keys:manage', 'deploy:read'],
      expiresIn: '1h',
    });
    const res = await rotateWith(pat.token, orgId, key.id);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().error.message).toContain('outlives');
  });
});
