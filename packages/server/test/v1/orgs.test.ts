import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

describe('orgs', () => {
  it('gives every user a personal org they own', async () => {
    const alice = await t.signUp('alice.personal@example.com');
    const res = await t.app.inject({ url: '/api/v1/orgs', headers: t.auth(alice.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([
      expect.objectContaining({ name: 'alice.personal', personal: true, role: 'owner' }),
    ]);
  });

  it('creates an org, makes the creator owner, and matches names case-insensitively', async () => {
    const alice = await t.signUp();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orgs',
      headers: t.auth(alice.token),
      payload: { name: 'Acme Corp' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Acme Corp', role: 'owner', personal: false });

    const byName = await t.app.inject({ url: '/api/v1/orgs/acme%20corp', headers: t.auth(alice.token) });
    expect(byName.statusCode).toBe(200);
    expect(byName.json().id).toBe(created.json().id);

    const bob = await t.signUp();
    const clash = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orgs',
      headers: t.auth(bob.token),
      payload: { name: 'ACME CORP' },
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.code).toBe('CONFLICT');

    const audit = await t.database.db.execute(
      sql`SELECT action, actor_id FROM audit_events WHERE org_id = ${created.json().id}`,
    );
    expect(audit.rows).toEqual([{ action: 'org.created', actor_id: alice.userId }]);
  });

  it('lists your orgs a page at a time, in the order you joined them', async () => {
    const alice = await t.signUp();
    for (const name of ['Page One', 'Page Two', 'Page Three', 'Page Four']) {
      // The test clock stands still: without a step every org is joined at the same instant, and
      // the order falls to the random org ids (the sign-up's org came first 1 time in 5).
      t.clock.advance(1);
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/orgs',
        headers: t.auth(alice.token),
        payload: { name: `${name} ${alice.userId.slice(-6)}` },
      });
      expect(res.statusCode).toBe(201);
    }
    const list = (query: string) =>
      t.app.inject({ url: `/api/v1/orgs?${query}`, headers: t.auth(alice.token) });
    const all = (await list('limit=500')).json();
    expect(all.items).toHaveLength(5);
    expect(all.nextCursor).toBeNull();
    // Joined at sign-up, before anything else.
    expect(all.items[0]).toMatchObject({ personal: true });
    const pages: { items: { id: string }[]; nextCursor: string | null }[] = [];
    let cursor = '';
    do {
      const res = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      pages.push(res.json());
      cursor = pages[pages.length - 1]!.nextCursor ?? '';
    } while (cursor);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.items.map((o) => o.id))).toEqual(
      all.items.map((o: { id: string }) => o.id),
    );

    const bad = await list('cursor=bm90LWEtY3Vyc29y');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_INPUT');
  });

  it('answers 404 for an org you are not in, the same as for one that does not exist', async () => {
    const alice = await t.signUp();
    const bob = await t.signUp();
    const theirs = await t.app.inject({
      url: `/api/v1/orgs/${bob.personalOrgId}`,
      headers: t.auth(alice.token),
    });
    const missing = await t.app.inject({
      url: '/api/v1/orgs/org_doesnotexist',
      headers: t.auth(alice.token),
    });
    expect(theirs.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(theirs.json().error.code).toBe(missing.json().error.code);
    expect(theirs.json().error.hint).toContain('latch org list');
  });

  it('refuses invalid names', async () => {
    const alice = await t.signUp();
    for (const name of ['', ' ', '-lead', 'x'.repeat(65), 'semi;colon']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/orgs',
        headers: t.auth(alice.token),
        payload: { name },
      });
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error.code).toBe('INVALID_INPUT');
    }
  });

  it('accepts names in any script, one name whichever way an accent was typed, matched case-insensitively', async () => {
    const alice = await t.signUp();
    const create = (name: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: t.auth(alice.token), payload: { name } });
    const cafe = await create('Café');
    expect(cafe.statusCode).toBe(201);
    expect(cafe.json().name).toBe('Café');
    for (const name of ['Zürich Ops', '東京 チーム', 'Ωmega_2'])
      expect((await create(name)).statusCode, name).toBe(201);
    // "e" + combining acute is the same name as the precomposed "é".
    const decomposed = await create('Cafe\u0301');
    expect(decomposed.statusCode).toBe(409);
    const byName = await t.app.inject({
      url: `/api/v1/orgs/${encodeURIComponent('CAFÉ')}`,
      headers: t.auth(alice.token),
    });
    expect(byName.json().id).toBe(cafe.json().id);
    const bad = await create('-Café');
    expect(bad.json().error).toMatchObject({
      code: 'INVALID_INPUT',
      details: { issues: [{ path: 'body.name' }] },
    });
    expect(bad.json().error.details.issues[0].message).toMatch(/letters \(any language\)/);
  });

  it('caps a scoped PAT below its holder role', async () => {
    const alice = await t.signUp(undefined, { scopes: ['projects:read'] });
    const res = await t.app.inject({
      url: `/api/v1/orgs/${alice.personalOrgId}`,
      headers: t.auth(alice.token),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toContain('org:read');
  });
});

describe('errors and health', () => {
  it('answers unknown routes with a JSON error and a request id', async () => {
    const res = await t.app.inject({ url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'NOT_FOUND' });
    expect(res.json().error.requestId).toBe(res.headers['x-request-id']);
  });

  it('reports database reachability on /health', async () => {
    const res = await t.app.inject({ url: '/health' });
    expect(res.json()).toMatchObject({ status: 'ok', database: 'ok', listen: 'ok', degraded: [] });
  });

  it('serves an OpenAPI 3.1 document generated from the schemas', async () => {
    const res = await t.app.inject({ url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().openapi).toBe('3.1.0');
    expect(Object.keys(res.json().paths)).toContain('/api/v1/pats');
  });
});
