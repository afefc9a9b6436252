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
