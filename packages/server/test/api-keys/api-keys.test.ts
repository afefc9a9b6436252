import { DAY, HOUR, parseToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import {
  addMember,
  createKey as createPlatformKey,
  createServiceAccount,
  createServiceAccountKey,
} from '../keys/fixtures.js';
import { actorIn, call, makeProject } from './fixtures.js';

const t = useTestApp();

describe('creating app API keys', () => {
  it("prints the token once with the project's prefix, stores only its hash, and audits without it", async () => {
    const p = await makeProject(t);
    const created = await p.createKey({ metadata: { customer: 'cus_42', tier: 'gold' }, expiresIn: '90d' });
    expect(parseToken(created.token)?.prefix).toBe(p.prefix);
    expect(created).toMatchObject({
      kind: 'api_key',
      createdBy: p.owner.email,
      name: 'Warehouse sync',
      scope: 'read',
      environment: 'production',
      metadata: { customer: 'cus_42', tier: 'gold' },
      status: 'active',
      prefix: created.token.slice(0, p.prefix.length + 4),
      rotatingUntil: null,
      lastUsedAt: null,
    });
    expect(new Date(created.expiresAt as string).getTime() - t.clock.now().getTime()).toBe(90 * DAY);

    const rows = await t.database.db.execute(sql`SELECT * FROM api_keys WHERE id = ${created.id}`);
    expect(JSON.stringify(rows.rows)).not.toContain(created.token.slice(p.prefix.length));
    const audit = await t.database.db.execute(
      sql`SELECT action, data FROM audit_events WHERE target_id = ${created.id}`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['api_key.created']);
    expect(JSON.stringify(audit.rows)).not.toContain(
      created.token.slice(p.prefix.length, p.prefix.length + 20),
    );

    const list = await call(t, p.owner.token, 'GET', `${p.base}/api-keys`);
    expect(JSON.stringify(list.json())).not.toContain(created.token);
    // The same shape as the other credentials: kind and creator.
    expect(list.json().items[0]).toMatchObject({ id: created.id, kind: 'api_key', createdBy: p.owner.email });
    const revoked = await call(t, p.owner.token, 'DELETE', `${p.base}/api-keys/${created.id}`);
    expect(revoked.json()).toMatchObject({ kind: 'api_key', createdBy: p.owner.email, status: 'revoked' });
  });

  it('refuses a scope the environment does not declare, listing the declared ones', async () => {
    const p = await makeProject(t);
    const res = await call(t, p.owner.token, 'POST', `${p.base}/api-keys`, {
      name: 'x',
      scope: 'admin',
      environment: 'production',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_INPUT');
    expect(res.json().error.message).toContain('Declared scopes: billing, read, writer');
    expect(res.json().error.details).toEqual({ field: 'scope', declared: ['billing', 'read', 'writer'] });
  });

  it('says to push scopes when the environment has no manifest yet', async () => {
    const p = await makeProject(t);
    const res = await call(t, p.owner.token, 'POST', `${p.base}/api-keys`, {
      name: 'x',
      scope: 'read',
      environment: 'staging',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('declares no API-key scopes');
    expect(res.json().error.hint).toContain('latch scopes push --env staging');
  });

  it('refuses bad metadata, expiries and unknown environments or projects', async () => {
    const p = await makeProject(t);
    const post = (body: Record<string, unknown>, base = p.base) =>
      call(t, p.owner.token, 'POST', `${base}/api-keys`, {
        name: 'x',
        scope: 'read',
        environment: 'production',
        ...body,
      });
    const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    for (const metadata of [tooMany, { 'bad key!': 'v' }, { k: 'x'.repeat(501) }, { k: 1 }]) {
      const res = await post({ metadata });
      expect(res.statusCode, JSON.stringify(metadata).slice(0, 40)).toBe(400);
    }
    for (const expiresIn of ['30m', '366d', 'soon']) {
      const res = await post({ expiresIn });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details).toEqual({ field: 'expiresIn' });
    }
    expect((await post({ environment: 'nowhere' })).statusCode).toBe(404);
    expect((await post({}, `/api/v1/orgs/${p.orgId}/projects/nope`)).statusCode).toBe(404);
    expect((await post({ unknown: 1 })).statusCode).toBe(400);
  });

  it("finds the project by name, and another org's project answers 404", async () => {
    const p = await makeProject(t);
    const other = await makeProject(t);
    const byName = await call(
      t,
      p.owner.token,
      'GET',
      `/api/v1/orgs/${p.orgId}/projects/${p.name.toUpperCase()}/api-keys`,
    );
    expect(byName.statusCode).toBe(200);
    const foreign = await call(
      t,
      p.owner.token,
      'GET',
      `/api/v1/orgs/${p.orgId}/projects/${other.projectId}/api-keys`,
    );
    expect(foreign.statusCode).toBe(404);
  });
});

describe('listing', () => {
  it('shows every status and filters by scope, environment and status', async () => {
    const p = await makeProject(t);
    await t.app.services.manifests.push(await actorIn(t, p.owner, p.orgId), p.projectId, 'staging', {
      project: p.name,
      apiKeys: { scopes: { read: { grants: { Project: ['read'] } } } },
    });
    const active = await p.createKey({ name: 'active' });
    const expiring = await p.createKey({ name: 'expiring', expiresIn: '3d', scope: 'writer' });
    const expired = await p.createKey({ name: 'expired', expiresIn: '1h' });
    const rotating = await p.createKey({ name: 'rotating', environment: 'staging' });
    const revoked = await p.createKey({ name: 'revoked' });
    await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${rotating.id}/rotate`, { gracePeriod: '48h' });
    await call(t, p.owner.token, 'DELETE', `${p.base}/api-keys/${revoked.id}`);
    t.clock.advance(2 * HOUR);

    const list = async (query = '') => {
      const res = await call(t, p.owner.token, 'GET', `${p.base}/api-keys${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items as { id: string; name: string; status: string; lastUsedAt: string | null }[];
    };
    const all = await list();
    expect(Object.fromEntries(all.map((k) => [k.name, k.status]))).toEqual({
      active: 'active',
      expiring: 'expiring',
      expired: 'expired',
      rotating: 'rotating',
      revoked: 'revoked',
    });
    for (const status of ['active', 'expiring', 'expired', 'rotating', 'revoked']) {
      expect((await list(`?status=${status}`)).map((k) => k.name)).toEqual([status]);
    }
    expect((await list('?scope=writer')).map((k) => k.id)).toEqual([expiring.id]);
    expect((await list('?env=staging')).map((k) => k.id)).toEqual([rotating.id]);
    expect((await list('?env=production&status=active')).map((k) => k.id)).toEqual([active.id]);
    expect((await list('?scope=read&status=expired')).map((k) => k.id)).toEqual([expired.id]);

    const first = await call(t, p.owner.token, 'GET', `${p.base}/api-keys?limit=2`);
    const second = await call(
      t,
      p.owner.token,
      'GET',
      `${p.base}/api-keys?limit=2&cursor=${first.json().nextCursor}`,
    );
    const paged = [...first.json().items, ...second.json().items].map((k: { id: string }) => k.id);
    expect(new Set(paged).size).toBe(4);
    expect((await call(t, p.owner.token, 'GET', `${p.base}/api-keys?status=sleepy`)).statusCode).toBe(400);
  });

  it('records last use without writing on the request path, at most once a minute', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    await p.verify({ key: key.token });
    await t.app.services.lastUsed.flush();
    const listed = async () =>
      (await call(t, p.owner.token, 'GET', `${p.base}/api-keys`)).json().items[0].lastUsedAt as string | null;
    const first = await listed();
    expect(first).toBe(t.clock.now().toISOString());
    t.clock.advance(30_000);
    await p.verify({ key: key.token });
    await t.app.services.lastUsed.flush();
    expect(await listed()).toBe(first);
    t.clock.advance(31_000);
    await p.verify({ key: key.token });
    await t.app.services.lastUsed.flush();
    expect(await listed()).toBe(t.clock.now().toISOString());
  });
});

describe('rotation', () => {
  it('keeps id, name, scope and metadata; both secrets verify during the grace period, only the new after', async () => {
    const p = await makeProject(t);
    const old = await p.createKey({ metadata: { team: 'data' } });
    const res = await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${old.id}/rotate`, {
      gracePeriod: '24h',
    });
    expect(res.statusCode, res.body).toBe(200);
    const rotated = res.json();
    expect(rotated).toMatchObject({ id: old.id, name: old.name, scope: 'read', metadata: { team: 'data' } });
    expect(rotated.token).not.toBe(old.token);
    expect(rotated.status).toBe('rotating');
    expect(rotated.rotatingUntil).toBe(new Date(t.clock.now().getTime() + 24 * HOUR).toISOString());

    const before = [await p.verify({ key: old.token }), await p.verify({ key: rotated.token })];
    expect(before.map((v) => [v.code, v.keyId])).toEqual([
      ['VALID', old.id],
      ['VALID', old.id],
    ]);
    expect(before[0]!.rotatingUntil).toBe(rotated.rotatingUntil);

    t.clock.advance(24 * HOUR + 1);
    expect((await p.verify({ key: old.token })).code).toBe('EXPIRED');
    expect((await p.verify({ key: rotated.token })).code).toBe('VALID');
    const audit = await t.database.db.execute(
      sql`SELECT action FROM audit_events WHERE target_id = ${old.id} ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['api_key.created', 'api_key.rotated']);
  });

  it('grace period 0 ends the old secret at once, refused like one whose grace ran out', async () => {
    const p = await makeProject(t);
    const old = await p.createKey();
    expect((await p.verify({ key: old.token })).code).toBe('VALID'); // now cached
    const rotated = (
      await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${old.id}/rotate`, { gracePeriod: '0' })
    ).json();
    expect(rotated.status).toBe('active');
    expect(rotated.rotatingUntil).toBeNull();
    // The replaced secret is still known (so it is not NOT_FOUND): the same refusal as after a grace period.
    const refused = await p.verify({ key: old.token });
    expect(refused.code).toBe('EXPIRED');
    expect(refused.keyId).toBe(old.id);
    expect((await p.verify({ key: rotated.token })).code).toBe('VALID');
  });

  it("never lets the grace period outlive the key's own expiry, nor exceed 30 days", async () => {
    const p = await makeProject(t);
    const key = await p.createKey({ expiresIn: '12h' });
    const rotated = (
      await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${key.id}/rotate`, { gracePeriod: '7d' })
    ).json();
    expect(rotated.rotatingUntil).toBe(key.expiresAt);
    const tooLong = await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${key.id}/rotate`, {
      gracePeriod: '31d',
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error.details).toEqual({ field: 'gracePeriod' });
    const defaulted = (
      await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${key.id}/rotate`, {})
    ).json();
    expect(defaulted.rotatingUntil).toBe(key.expiresAt);
  });

  it('refuses to rotate a revoked key, and answers 404 for an unknown one', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    await call(t, p.owner.token, 'DELETE', `${p.base}/api-keys/${key.id}`);
    const res = await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${key.id}/rotate`, {});
    expect(res.statusCode).toBe(409);
    const missing = await call(t, p.owner.token, 'POST', `${p.base}/api-keys/ak_missing/rotate`, {});
    expect(missing.statusCode).toBe(404);
  });
});

describe('revocation', () => {
  it('is immediate (even for a cached key), audited once, and idempotent', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    expect((await p.verify({ key: key.token })).code).toBe('VALID');
    const res = await call(t, p.owner.token, 'DELETE', `${p.base}/api-keys/${key.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('revoked');
    expect((await p.verify({ key: key.token })).code).toBe('REVOKED');
    expect((await call(t, p.owner.token, 'DELETE', `${p.base}/api-keys/${key.id}`)).statusCode).toBe(200);
    const audit = await t.database.db.execute(
      sql`SELECT action FROM audit_events WHERE target_id = ${key.id} ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['api_key.created', 'api_key.revoked']);
  });
});

describe('who may make or receive an app API key', () => {
  const rotate = (p: { base: string }, token: string, id: string) =>
    call(t, token, 'POST', `${p.base}/api-keys/${id}/rotate`, { gracePeriod: 0 });

  it('a scoped 1h PAT with api_keys:write cannot receive a key that outlives it, nor make one', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    const pat = await t.app.services.tokens.createPat(p.owner.actor, {
      name: 'short',
      scopes: ['api_keys:write', 'projects:read', 'environments:read'],
      expiresIn: '1h',
    });
    const res = await rotate(p, pat.token, key.id);
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().error.code).toBe('PERMISSION_DENIED');
    expect(res.json().error.hint).toContain('latch login');
    expect(res.body).not.toContain(p.prefix);
    expect((await p.verify({ key: key.token })).valid).toBe(true);

    const body = { name: 'n', scope: 'read', environment: 'production' };
    const longer = await call(t, pat.token, 'POST', `${p.base}/api-keys`, { ...body, expiresIn: '30d' });
    expect(longer.statusCode, longer.body).toBe(403);
    const capped = await call(t, pat.token, 'POST', `${p.base}/api-keys`, body);
    expect(capped.statusCode, capped.body).toBe(201);
    expect(capped.json().expiresAt).toBe(pat.expiresAt);
  });

  it('a 2h service-account key cannot receive a key without expiry; a platform key with api_keys:write can', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    await createServiceAccount(t, p.owner.token, p.orgId, 'app-bot', 'developer');
    const sa = await createServiceAccountKey(t, p.owner.token, p.orgId, 'app-bot', { expiresIn: '2h' });
    const refused = await rotate(p, sa.token, key.id);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().error.message).toContain('service account app-bot');

    // The app's own management credential (SPEC 6): no expiry, api_keys:write in the project.
    const app = await createPlatformKey(t, p.owner.token, p.orgId, {
      scopes: ['api_keys:write', 'projects:read', 'environments:read'],
    });
    const rotated = await rotate(p, app.token, key.id);
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect((await p.verify({ key: rotated.json().token })).valid).toBe(true);

    const viewer = await addMember(t, p.owner.token, p.orgId, 'viewer');
    const denied = await rotate(p, viewer.token, key.id);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toContain('api_keys:write');
  });
});
