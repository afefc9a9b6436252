import { parseToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

describe('personal access tokens', () => {
  it('creates a PAT that is shown once, stored only as a hash, and works at once', async () => {
    const alice = await t.signUp();
    t.clock.advance(1000); // lists are newest first; give the new PAT a later creation time
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/pats',
      headers: t.auth(alice.token),
      payload: { name: 'laptop', expiresIn: '30d', scopes: ['projects:read'] },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(parseToken(created.token)?.prefix).toBe('lk_pat_');
    expect(created.prefix).toBe(created.token.slice(0, 11));
    expect(new Date(created.expiresAt).getTime() - t.clock.now().getTime()).toBe(30 * 86_400_000);
    expect(created.scopes).toEqual(['projects:read']);

    const me = await t.app.inject({ url: '/api/v1/me', headers: t.auth(created.token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.email).toBe(alice.email);

    const list = await t.app.inject({ url: '/api/v1/pats', headers: t.auth(alice.token) });
    expect(list.json().items.map((p: { name: string }) => p.name)).toEqual(['laptop', 'test']);
    expect(JSON.stringify(list.json())).not.toContain(created.token);

    const stored = await t.database.db.execute(sql`SELECT * FROM tokens WHERE id = ${created.id}`);
    expect(JSON.stringify(stored.rows)).not.toContain(created.token.slice(11));
  });

  it('defaults to 120 days and refuses expiries outside 1 hour to 366 days', async () => {
    const alice = await t.signUp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/pats',
      headers: t.auth(alice.token),
      payload: { name: 'ci' },
    });
    expect(new Date(res.json().expiresAt).getTime() - t.clock.now().getTime()).toBe(120 * 86_400_000);
    for (const expiresIn of ['30m', '400d', 'forever']) {
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/pats',
        headers: t.auth(alice.token),
        payload: { name: 'x', expiresIn },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({ code: 'INVALID_INPUT' });
      expect(bad.json().error.hint).toBeTruthy();
    }
  });

  it('refuses unknown fields, unknown scopes and non-JSON bodies, changing nothing', async () => {
    const alice = await t.signUp();
    const before = await t.database.db.execute(sql`SELECT count(*)::int AS n FROM tokens`);
    const cases = [
      { payload: { name: 'x', admin: true } },
      { payload: { name: 'x', scopes: ['root:all'] } },
      { payload: { name: '' } },
      { payload: '{"name":', headers: { 'content-type': 'application/json' } },
      { payload: 'name=x', headers: { 'content-type': 'text/plain' } },
    ];
    for (const c of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/pats',
        headers: { ...t.auth(alice.token), ...c.headers },
        payload: c.payload,
      });
      expect(res.statusCode, JSON.stringify(c)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.json().error.code).toMatch(/^[A-Z_]+$/);
      expect(res.json().error.hint).toBeTruthy();
    }
    const after = await t.database.db.execute(sql`SELECT count(*)::int AS n FROM tokens`);
    expect(after.rows[0]).toEqual(before.rows[0]);
  });

  it('answers 413 for an oversized body', async () => {
    const alice = await t.signUp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/pats',
      headers: { ...t.auth(alice.token), 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('revokes a PAT: 401 everywhere afterwards; another user cannot see or revoke it', async () => {
    const alice = await t.signUp();
    const bob = await t.signUp();
    const created = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/pats',
        headers: t.auth(alice.token),
        payload: { name: 'tmp' },
      })
    ).json();
    const foreign = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/pats/${created.id}`,
      headers: t.auth(bob.token),
    });
    expect(foreign.statusCode).toBe(404);

    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/pats/${created.id}`,
      headers: t.auth(alice.token),
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().status).toBe('revoked');
    const after = await t.app.inject({ url: '/api/v1/orgs', headers: t.auth(created.token) });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('TOKEN_REVOKED');
  });

  it('expires on the clock, with the date in the message', async () => {
    const alice = await t.signUp();
    const created = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/pats',
        headers: t.auth(alice.token),
        payload: { name: 'short', expiresIn: '2h' },
      })
    ).json();
    t.clock.advance(3 * 3600_000);
    const res = await t.app.inject({ url: '/api/v1/me', headers: t.auth(created.token) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('TOKEN_EXPIRED');
    expect(res.json().error.message).toContain(created.expiresAt.slice(0, 10));
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });

  it('records creation and revocation in the audit log, never the token', async () => {
    const alice = await t.signUp();
    const created = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/pats',
        headers: t.auth(alice.token),
        payload: { name: 'audited' },
      })
    ).json();
    await t.app.inject({ method: 'DELETE', url: `/api/v1/pats/${created.id}`, headers: t.auth(alice.token) });
    const rows = await t.database.db.execute(
      sql`SELECT action, actor_id, target_id, data FROM audit_events WHERE target_id = ${created.id} ORDER BY id`,
    );
    expect(rows.rows.map((r) => r.action)).toEqual(['pat.created', 'pat.revoked']);
    expect(rows.rows.every((r) => r.actor_id === alice.userId)).toBe(true);
    const all = await t.database.db.execute(sql`SELECT * FROM audit_events`);
    expect(JSON.stringify(all.rows)).not.toMatch(/lk_pat_[0-9A-Za-z]{20,}/);
  });
});

describe('PAT lifecycle (core rules)', () => {
  it('is expiring with exactly 7 days left, like every other credential kind', async () => {
    const alice = await t.signUp();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/pats',
      headers: t.auth(alice.token),
      payload: { name: 'week', expiresIn: '7d' },
    });
    expect(created.json().status).toBe('expiring');
    const key = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${alice.personalOrgId}/keys`,
      headers: t.auth(alice.token),
      payload: { name: 'week', scopes: ['projects:read'], expiresIn: '7d' },
    });
    expect(key.statusCode, key.body).toBe(201);
    expect(key.json().status).toBe('expiring');
  });
});

describe('a PAT never mints a wider or longer-lived one', () => {
  const HOUR = 3_600_000;
  const createWith = (token: string, payload: object) =>
    t.app.inject({ method: 'POST', url: '/api/v1/pats', headers: t.auth(token), payload });

  async function narrowPat(expiresIn = '1h') {
    const alice = await t.signUp();
    const res = await createWith(alice.token, {
      name: 'narrow',
      scopes: ['projects:read', 'deploy:read'],
      expiresIn,
    });
    expect(res.statusCode, res.body).toBe(201);
    return { alice, narrow: res.json() as { id: string; token: string; expiresAt: string } };
  }

  it('a scoped 1h PAT cannot make an unscoped 366d PAT, and nothing is made', async () => {
    const { alice, narrow } = await narrowPat();
    const before = await t.database.db.execute(sql`SELECT count(*)::int AS n FROM tokens`);
    const wider = await createWith(narrow.token, { name: 'wider', expiresIn: '366d' });
    expect(wider.statusCode, wider.body).toBe(403);
    expect(wider.json().error.code).toBe('PERMISSION_DENIED');
    expect(wider.json().error.hint).toContain('latch login');
    const longer = await createWith(narrow.token, {
      name: 'longer',
      scopes: ['projects:read'],
      expiresIn: '2h',
    });
    expect(longer.statusCode, longer.body).toBe(403);
    expect(longer.json().error.message).toContain('outlives');
    expect(longer.json().error.hint).toContain('--expires');
    const after = await t.database.db.execute(sql`SELECT count(*)::int AS n FROM tokens`);
    expect(after.rows[0]).toEqual(before.rows[0]);
    // The unscoped login still can.
    expect((await createWith(alice.token, { name: 'wide', expiresIn: '366d' })).statusCode).toBe(201);
  });

  it('a scoped PAT makes a narrower, shorter one; without expiresIn it ends with its maker', async () => {
    const { narrow } = await narrowPat('3h');
    const ok = await createWith(narrow.token, {
      name: 'narrower',
      scopes: ['projects:read'],
      expiresIn: '1h',
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().scopes).toEqual(['projects:read']);
    expect(new Date(ok.json().expiresAt).getTime() - t.clock.now().getTime()).toBe(HOUR);
    const byDefault = await createWith(narrow.token, { name: 'default', scopes: ['deploy:read'] });
    expect(byDefault.statusCode, byDefault.body).toBe(201);
    expect(byDefault.json().expiresAt).toBe(narrow.expiresAt);
    t.clock.advance(3 * HOUR + 1000);
    expect(
      (await t.app.inject({ url: '/api/v1/me', headers: t.auth(byDefault.json().token) })).statusCode,
    ).toBe(401);
  });

  it("a scoped PAT cannot list or revoke the account's other PATs, nor create orgs; it may revoke itself", async () => {
    const { alice, narrow } = await narrowPat();
    const list = await t.app.inject({ url: '/api/v1/pats', headers: t.auth(narrow.token) });
    const login = (await t.app.inject({ url: '/api/v1/pats', headers: t.auth(alice.token) })).json().items;
    const loginId = login.find((p: { name: string }) => p.name === 'test').id;
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/pats/${loginId}`,
      headers: t.auth(narrow.token),
    });
    const org = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orgs',
      headers: t.auth(narrow.token),
      payload: { name: `narrow-${Date.now()}` },
    });
    for (const res of [list, revoke, org]) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe('PERMISSION_DENIED');
      expect(res.json().error.hint).toContain('unscoped credential');
      expect(res.json().error.hint).toContain('latch login');
    }
    expect((await t.app.inject({ url: '/api/v1/me', headers: t.auth(alice.token) })).statusCode).toBe(200);

    const self = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/pats/${narrow.id}`,
      headers: t.auth(narrow.token),
    });
    expect(self.statusCode, self.body).toBe(200);
    expect(self.json().status).toBe('revoked');
  });
});
