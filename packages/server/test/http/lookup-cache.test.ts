import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { TTL_MS } from '../../src/store/lookups.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { addMember, createOrg } from '../members/fixtures.js';

/**
 * The per-node memo of request look-ups (store/lookups.ts) through the real app: a change stops
 * working at once on the node that made it, and on another node (its own pool and listener, the
 * same database) as soon as the bus tells it, well before the memo's one-second bound.
 */
const db = useTestDatabase();
let a: TestApp;
let b: TestApp;
let other: ReturnType<typeof openDatabase>;

beforeAll(async () => {
  a = await createTestApp(db.database);
  other = openDatabase(db.url);
  b = await createTestApp(other);
});
afterAll(async () => {
  await b?.app.close();
  await a?.app.close();
  await other?.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (t: TestApp, token: string, method: Method, url: string, payload?: object) =>
  t.app.inject({ method, url, headers: t.auth(token), ...(payload ? { payload } : {}) });

/** The statements sent while `fn` runs (only one request at a time runs here). */
async function statements(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const original = pg.Client.prototype.query;
  // biome-ignore lint/suspicious/noExplicitAny: wrapping pg's overloaded query
  (pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
    seen.push(String(typeof args[0] === 'string' ? args[0] : args[0]?.text));
    // biome-ignore lint/suspicious/noExplicitAny: as above
    return (original as any).apply(this, args);
  };
  try {
    await fn();
  } finally {
    pg.Client.prototype.query = original;
  }
  return seen;
}

/**
 * Polls `node` until `refused` says so; returns how long after `since` that was. Fails when the
 * memo's own bound passes first: the change must have arrived by the bus, not by expiry.
 */
async function refusedWithin(since: number, refused: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await refused()) return performance.now() - since;
    if (performance.now() - since > 3 * TTL_MS) throw new Error('never refused');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('memoised request look-ups', () => {
  it('serve a repeated request without its look-ups', async () => {
    const alice = await a.signUp();
    const url = `/api/v1/orgs/${alice.personalOrgId}/projects`;
    // The sign-up's own change notices reach the bus asynchronously and empty the memo when they
    // arrive (as they must), which on a loaded machine can be after the first GET: so a few
    // tries, each a GET to fill the memo and a second one that must not look anything up.
    let again: string[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      expect((await call(a, alice.token, 'GET', url)).statusCode).toBe(200);
      again = await statements(async () => {
        expect((await call(a, alice.token, 'GET', url)).statusCode).toBe(200);
      });
      if (!again.some((s) => /from "(tokens|orgs)"/.test(s))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(again.some((s) => /from "tokens"/.test(s))).toBe(false);
    expect(again.some((s) => /from "orgs"/.test(s))).toBe(false);
  });

  it('a revoked PAT stops at once on the revoking node, and on the other as soon as the bus says so', async () => {
    const alice = await a.signUp();
    const created = await call(a, alice.token, 'POST', '/api/v1/pats', { name: 'laptop' });
    expect(created.statusCode, created.body).toBe(201);
    const { token, id } = created.json() as { token: string; id: string };
    const url = `/api/v1/orgs/${alice.personalOrgId}/projects`;
    expect((await call(a, token, 'GET', url)).statusCode).toBe(200);
    // A fresh entry on the other node: its own second would outlast the test's bound.
    b.app.services.lookups.clear();
    expect((await call(b, token, 'GET', url)).statusCode).toBe(200);
    const loaded = performance.now();
    expect(b.app.services.lookups.size()).toBeGreaterThan(0);

    expect((await call(a, alice.token, 'DELETE', `/api/v1/pats/${id}`)).statusCode).toBe(200);
    const here = await call(a, token, 'GET', url);
    expect(here.statusCode).toBe(401);
    expect(here.json().error.code).toBe('TOKEN_REVOKED');
    const took = await refusedWithin(
      loaded,
      async () => (await call(b, token, 'GET', url)).statusCode === 401,
    );
    expect(took).toBeLessThan(TTL_MS);
  });

  it('a demotion and a removal take effect at once, on both nodes', async () => {
    const owner = await a.signUp();
    const org = await createOrg(a, owner);
    const admin = await addMember(a, owner.token, org.id, 'admin');
    const create = (t: TestApp, name: string) =>
      call(t, admin.token, 'POST', `/api/v1/orgs/${org.id}/projects`, { name });
    expect((await create(a, 'first')).statusCode).toBe(201);
    b.app.services.lookups.clear();
    expect((await create(b, 'second')).statusCode).toBe(201);
    const loaded = performance.now();

    const demoted = await call(a, owner.token, 'PATCH', `/api/v1/orgs/${org.id}/members/${admin.userId}`, {
      role: 'viewer',
    });
    expect(demoted.statusCode, demoted.body).toBe(200);
    expect((await create(a, 'third')).statusCode).toBe(403);
    expect(
      await refusedWithin(loaded, async () => (await create(b, `p${Date.now()}`)).statusCode === 403),
    ).toBeLessThan(TTL_MS);

    const read = (t: TestApp) => call(t, admin.token, 'GET', `/api/v1/orgs/${org.id}/projects`);
    expect((await read(a)).statusCode).toBe(200);
    b.app.services.lookups.clear();
    expect((await read(b)).statusCode).toBe(200);
    const again = performance.now();
    const removed = await call(a, owner.token, 'DELETE', `/api/v1/orgs/${org.id}/members/${admin.userId}`);
    expect(removed.statusCode, removed.body).toBe(200);
    expect((await read(a)).statusCode).toBe(404);
    expect(await refusedWithin(again, async () => (await read(b)).statusCode === 404)).toBeLessThan(TTL_MS);
  });

  it('a platform key is suspended at once when its creator is demoted', async () => {
    const owner = await a.signUp();
    const org = await createOrg(a, owner);
    const admin = await addMember(a, owner.token, org.id, 'admin');
    const key = await call(a, admin.token, 'POST', `/api/v1/orgs/${org.id}/keys`, {
      name: 'deploy',
      scopes: ['projects:write'],
    });
    expect(key.statusCode, key.body).toBe(201);
    const token = key.json().token as string;
    const url = `/api/v1/orgs/${org.id}/projects`;
    expect((await call(a, token, 'GET', url)).statusCode).toBe(200);
    await call(a, owner.token, 'PATCH', `/api/v1/orgs/${org.id}/members/${admin.userId}`, { role: 'viewer' });
    const refused = await call(a, token, 'GET', url);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('KEY_SUSPENDED');
  });

  it("an operator's edit in the database reaches both nodes by the bus", async () => {
    const alice = await a.signUp();
    const url = `/api/v1/orgs/${alice.personalOrgId}/projects`;
    expect((await call(a, alice.token, 'GET', url)).statusCode).toBe(200);
    b.app.services.lookups.clear();
    expect((await call(b, alice.token, 'GET', url)).statusCode).toBe(200);
    const loaded = performance.now();
    // Not through either node's pool: only the NOTIFY can tell them.
    const operator = new pg.Client({ connectionString: db.url });
    await operator.connect();
    await operator.query('UPDATE tokens SET revoked_at = now() WHERE user_id = $1', [alice.userId]);
    await operator.end();
    for (const t of [a, b]) {
      const took = await refusedWithin(
        loaded,
        async () => (await call(t, alice.token, 'GET', url)).statusCode === 401,
      );
      expect(took).toBeLessThan(TTL_MS);
    }
  });

  it('checks expiry against the clock on every request, memoised or not', async () => {
    const alice = await a.signUp();
    const created = await call(a, alice.token, 'POST', '/api/v1/pats', { name: 'short', expiresIn: '1h' });
    const token = created.json().token as string;
    const url = `/api/v1/orgs/${alice.personalOrgId}/projects`;
    expect((await call(a, token, 'GET', url)).statusCode).toBe(200);
    const before = await statements(async () => {
      expect((await call(a, token, 'GET', url)).statusCode).toBe(200);
    });
    expect(before.some((s) => /from "tokens"/.test(s))).toBe(false); // memoised
    a.clock.advance(2 * 3_600_000);
    const expired = await call(a, token, 'GET', url);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('TOKEN_EXPIRED');
  });
});
