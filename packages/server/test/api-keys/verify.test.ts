import { Agent, request } from 'node:http';
import { generateToken, HOUR, hashToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import type { Pool } from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { findByHashes } from '../../src/services/api-keys/api-keys.repo.js';
import { useTestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/wait-for.js';
import { addMember } from '../members/fixtures.js';
import { actorIn, call, MANIFEST, makeProject } from './fixtures.js';

const t = useTestApp();

/** SQL text of every query the pools (the main one and the look-ups') ran while `fn` did its work. */
async function queriesDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const pools = [t.database.pool, t.database.verifyPool];
  const spies = pools.map((pool) => ({ query: vi.spyOn(pool, 'query'), connect: vi.spyOn(pool, 'connect') }));
  try {
    await fn();
    return spies.flatMap(({ query, connect }) => [
      ...query.mock.calls.map(([q]) => (typeof q === 'string' ? q : (q as { text: string }).text)),
      ...connect.mock.calls.map(() => 'CONNECT'),
    ]);
  } finally {
    for (const { query, connect } of spies) {
      query.mockRestore();
      connect.mockRestore();
    }
  }
}

describe('POST /api/v1/verify', () => {
  it('answers VALID with the key, its grants and metadata', async () => {
    const p = await makeProject(t);
    const key = await p.createKey({ metadata: { customer: 'cus_1' }, expiresIn: '30d' });
    const answer = await p.verify({ key: key.token, environment: 'production', scope: 'read' });
    expect(answer).toEqual({
      valid: true,
      code: 'VALID',
      keyId: key.id,
      name: 'Warehouse sync',
      scope: 'read',
      grants: MANIFEST.apiKeys.scopes.read.grants,
      environment: 'production',
      metadata: { customer: 'cus_1' },
      expiresAt: key.expiresAt,
      rotatingUntil: null,
    });
    expect(t.app.services.apiKeys.cacheSize()).toBeGreaterThan(0);
  });

  it('answers NOT_FOUND for unknown keys and MALFORMED for a bad checksum, without a database look-up', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    await p.verify({ key: key.token }); // the caller is now cached, so any query below is the key's
    const malformed = `${key.token.slice(0, -1)}${key.token.endsWith('A') ? 'B' : 'A'}`;
    let answers: Record<string, unknown>[] = [];
    const queries = await queriesDuring(async () => {
      answers = [await p.verify({ key: malformed }), await p.verify({ key: 'not a key at all' })];
    });
    expect(answers.map((a) => a.code)).toEqual(['MALFORMED', 'MALFORMED']);
    expect(answers[0]).toMatchObject({ valid: false, keyId: null, name: null });
    expect(queries).toEqual([]);
    expect((await p.verify({ key: generateToken(p.prefix) })).code).toBe('NOT_FOUND');
    expect((await p.verify({ key: p.owner.token })).code).toBe('NOT_FOUND');
  });

  it('serves a cached key with no database access at all, and never writes on the request path', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    const miss = await queriesDuring(() => p.verify({ key: key.token }));
    expect(miss.length).toBeGreaterThan(0);
    expect(miss.filter((q) => /^\s*(insert|update|delete)/i.test(q))).toEqual([]);
    const hit = await queriesDuring(async () => {
      for (let i = 0; i < 10; i++) expect((await p.verify({ key: key.token })).code).toBe('VALID');
    });
    expect(hit).toEqual([]);
  });

  it('answers EXPIRED, REVOKED, WRONG_ENVIRONMENT and INSUFFICIENT_SCOPE', async () => {
    const p = await makeProject(t);
    const expiring = await p.createKey({ expiresIn: '1h' });
    expect((await p.verify({ key: expiring.token })).code).toBe('VALID');
    t.clock.advance(HOUR);
    expect(await p.verify({ key: expiring.token })).toMatchObject({
      valid: false,
      code: 'EXPIRED',
      keyId: expiring.id,
    });

    const revoked = await p.createKey();
    await call(t, p.owner.token, 'DELETE', `${p.base}/api-keys/${revoked.id}`);
    expect(await p.verify({ key: revoked.token })).toMatchObject({
      valid: false,
      code: 'REVOKED',
      keyId: revoked.id,
    });

    const reader = await p.createKey({ scope: 'read' });
    expect(await p.verify({ key: reader.token, environment: 'staging' })).toMatchObject({
      valid: false,
      code: 'WRONG_ENVIRONMENT',
      environment: 'production',
    });
    expect((await p.verify({ key: reader.token, scope: 'writer' })).code).toBe('INSUFFICIENT_SCOPE');
    expect((await p.verify({ key: reader.token, scope: 'billing' })).code).toBe('INSUFFICIENT_SCOPE');
    expect((await p.verify({ key: reader.token, scope: 'undeclared' })).code).toBe('INSUFFICIENT_SCOPE');

    // SPEC 6: a scope whose grants include all of the route scope's grants satisfies it.
    const writer = await p.createKey({ scope: 'writer' });
    expect((await p.verify({ key: writer.token, scope: 'read' })).code).toBe('VALID');
    expect((await p.verify({ key: writer.token, scope: 'billing' })).code).toBe('INSUFFICIENT_SCOPE');
  });

  it('looks up the cache misses of one event-loop turn in one statement, each answered as its own', async () => {
    const p = await makeProject(t);
    const other = await makeProject(t);
    const [a, b, old] = [await p.createKey(), await p.createKey(), await p.createKey()];
    const rotated = (
      await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${old.id}/rotate`, { gracePeriod: '1h' })
    ).json();
    const foreign = await other.createKey();
    const verify = (key: string) => t.app.services.apiKeys.verify(p.owner.actor, { key });
    const before = { ...t.app.services.apiKeys.verifyStats };
    let answers: { code: string; keyId: string | null; rotatingUntil: string | null }[] = [];
    const queries = await queriesDuring(async () => {
      answers = await Promise.all(
        [a.token, b.token, old.token, rotated.token, generateToken(p.prefix), foreign.token, a.token].map(
          verify,
        ),
      );
    });
    expect(answers.map((x) => [x.code, x.keyId])).toEqual([
      ['VALID', a.id],
      ['VALID', b.id],
      ['VALID', old.id],
      ['VALID', old.id],
      ['NOT_FOUND', null],
      ['NOT_FOUND', null], // someone else's key, as if it did not exist
      ['VALID', a.id],
    ]);
    // The replaced secret is known as such: its answer carries the grace period's end.
    expect(answers[2]!.rotatingUntil).toBe(rotated.rotatingUntil);
    expect(queries.filter((q) => /api_keys/.test(q))).toHaveLength(1);
    const stats = t.app.services.apiKeys.verifyStats;
    expect(stats.missQueries - before.missQueries).toBe(1);
    // Seven misses (the repeated key joined the first one's load), one statement.
    expect(stats.cacheMisses - before.cacheMisses).toBe(7);
  });

  it('plans the cache-miss look-up once per session, whatever the number of hashes', async () => {
    const p = await makeProject(t);
    const keys = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => p.createKey()));
    // One session of the look-up pool, as the verifier's statements get it.
    const client = await t.database.verifyPool.connect();
    try {
      const session = client as unknown as Pool;
      const plans = async () => {
        const { rows } = await client.query<{ generic_plans: string; custom_plans: string }>(
          "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'latch_api_keys_by_hashes'",
        );
        return { generic: Number(rows[0]?.generic_plans ?? 0), custom: Number(rows[0]?.custom_plans ?? 0) };
      };
      const before = await plans(); // earlier tests may have used this session already
      for (const n of [1, 3, 7, 2, 5, 6, 4, 1])
        expect(
          await findByHashes(
            session,
            keys.slice(0, n).map((k) => hashToken(k.token)),
          ),
        ).toHaveLength(n);
      expect(await plans()).toEqual({ generic: before.generic + 8, custom: 0 });
    } finally {
      client.release();
    }
  });

  it('answers every miss of a failed batched look-up with the error, and looks up again afterwards', async () => {
    const p = await makeProject(t);
    const [a, b] = [await p.createKey(), await p.createKey()];
    const verify = (key: string) => t.app.services.apiKeys.verify(p.owner.actor, { key });
    await verify(a.token); // the caller's standing is cached, so the failing query is the keys'
    const c = await p.createKey();
    const query = vi
      .spyOn(t.database.verifyPool, 'query')
      .mockRejectedValueOnce(new Error('connection lost'));
    try {
      const settled = await Promise.allSettled([verify(b.token), verify(c.token)]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    } finally {
      query.mockRestore();
    }
    expect((await verify(b.token)).code).toBe('VALID');
    expect((await verify(c.token)).code).toBe('VALID');
  });

  it("reads a steady caller's standing again before its second is up, so its requests never wait for it", async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    expect((await p.verify({ key: key.token })).code).toBe('VALID'); // caller, standing and key cached
    t.clock.advance(800);
    // Still fresh: answered from memory, and the refresh starts in the background.
    expect((await p.verify({ key: key.token })).code).toBe('VALID');
    await new Promise((r) => setTimeout(r, 200));
    t.clock.advance(400); // 1.2 s after the first read: without the refresh, this request would wait
    const queries = await queriesDuring(async () => {
      expect((await p.verify({ key: key.token })).code).toBe('VALID');
    });
    expect(queries).toEqual([]);
  });

  it('decides an answer once per key and question, and decides again when the clock or the key moves', async () => {
    const p = await makeProject(t);
    const key = await p.createKey({ expiresIn: '2h' });
    const verify = (input: { key: string; scope?: string; environment?: string }) =>
      t.app.services.apiKeys.verify(p.owner.actor, input);
    const first = await verify({ key: key.token });
    // The same frozen answer, straight from memory: nothing is rebuilt or re-serialised per call.
    expect(verify({ key: key.token })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // Another question about the same key gets its own answer, and does not replace the first.
    expect((await verify({ key: key.token, scope: 'writer' })).code).toBe('INSUFFICIENT_SCOPE');
    expect((await verify({ key: key.token, environment: 'staging' })).code).toBe('WRONG_ENVIRONMENT');
    expect(verify({ key: key.token })).toBe(first);
    expect((await p.verify({ key: key.token })).code).toBe('VALID');

    // Rotation evicts the key: both secrets are decided afresh, and the grace period shows.
    const rotated = (
      await call(t, p.owner.token, 'POST', `${p.base}/api-keys/${key.id}/rotate`, { gracePeriod: '1h' })
    ).json();
    const during = [await verify({ key: key.token }), await verify({ key: rotated.token })];
    expect(during.map((a) => [a.code, a.rotatingUntil])).toEqual([
      ['VALID', rotated.rotatingUntil],
      ['VALID', rotated.rotatingUntil],
    ]);
    // The grace period ends with no change to the key: the clock alone moves both answers.
    t.clock.advance(HOUR + 1);
    expect((await verify({ key: key.token })).code).toBe('EXPIRED');
    expect(await verify({ key: rotated.token })).toMatchObject({ code: 'VALID', rotatingUntil: null });
    // And so does the key's own expiry.
    t.clock.advance(HOUR);
    expect((await verify({ key: rotated.token })).code).toBe('EXPIRED');
  });

  it('answers NOT_FOUND for a key in an org where the caller cannot read keys, exactly like an unknown key', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    const stranger = await t.signUp();
    const unknown = await p.verify({ key: generateToken(p.prefix) }, stranger.token);
    const foreign = await p.verify({ key: key.token }, stranger.token);
    expect(foreign).toEqual(unknown);
    expect(foreign.code).toBe('NOT_FOUND');

    // Every role reads keys; a PAT capped to another permission does not.
    const capped = await t.app.services.tokens.createPat(p.owner.actor, {
      name: 'capped',
      scopes: ['projects:read'],
    });
    expect((await p.verify({ key: key.token }, capped.token)).code).toBe('NOT_FOUND');
  });

  it('lets a viewer of the org verify', async () => {
    const p = await makeProject(t);
    const teamRes = await call(t, p.owner.token, 'POST', '/api/v1/orgs', {
      name: `verify-team-${Date.now()}`,
    });
    const orgId = teamRes.json().id as string;
    const viewer = await addMember(t, p.owner.token, orgId, 'viewer');
    const actor = await actorIn(t, p.owner, orgId);
    const project = await t.app.services.projects.create(actor, { name: 'team', keyPrefix: 'verifyteam_' });
    await t.app.services.environments.create(actor, project.id, { name: 'production' });
    await t.app.services.manifests.push(actor, project.id, 'production', { ...MANIFEST, project: 'team' });
    const created = await call(t, p.owner.token, 'POST', `/api/v1/orgs/${orgId}/projects/team/api-keys`, {
      name: 'k',
      scope: 'read',
      environment: 'production',
    });
    expect(created.statusCode, created.body).toBe(201);
    expect((await p.verify({ key: created.json().token }, viewer.token)).code).toBe('VALID');
    // Viewers may verify but not manage keys.
    const denied = await call(t, viewer.token, 'POST', `/api/v1/orgs/${orgId}/projects/team/api-keys`, {
      name: 'k2',
      scope: 'read',
      environment: 'production',
    });
    expect(denied.statusCode).toBe(403);
  });

  it('refuses bad input with 400', async () => {
    const p = await makeProject(t);
    for (const payload of [{}, { key: 1 }, { key: 'x', extra: true }, { key: 'x'.repeat(600) }]) {
      const res = await call(t, p.owner.token, 'POST', '/api/v1/verify', payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 40)).toBe(400);
    }
  });

  it('picks up a new manifest pushed to the environment (cache evicted over NOTIFY)', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    expect((await p.verify({ key: key.token })).grants).toEqual(MANIFEST.apiKeys.scopes.read.grants);
    const next = { project: p.name, apiKeys: { scopes: { read: { grants: { Project: ['read'] } } } } };
    await t.app.services.manifests.push(await actorIn(t, p.owner, p.orgId), p.projectId, 'production', next);
    await waitFor(
      'the new grants',
      async () => JSON.stringify((await p.verify({ key: key.token })).grants) === '{"Project":["read"]}',
      2000,
    );
  });

  it('evicts a key changed behind its back (another node, a cascade) over NOTIFY', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    expect((await p.verify({ key: key.token })).code).toBe('VALID');
    await t.database.db.execute(sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${key.id}`);
    await waitFor('REVOKED', async () => (await p.verify({ key: key.token })).code === 'REVOKED', 2000);
    const other = await p.createKey();
    expect((await p.verify({ key: other.token })).code).toBe('VALID');
    await t.database.db.execute(
      sql`DELETE FROM environments WHERE project_id = ${p.projectId} AND name = 'production'`,
    );
    await waitFor('NOT_FOUND', async () => (await p.verify({ key: other.token })).code === 'NOT_FOUND', 2000);
  });
});

describe('callers of POST /api/v1/verify on a keep-alive connection', () => {
  /** Every request over one connection, as an app's HTTP client does. */
  async function overOneConnection() {
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const send = (token: string, body: unknown) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const req = request(
          `${address}/api/v1/verify`,
          {
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          },
          (res) => {
            sockets.add(res.socket);
            let text = '';
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    return { send, sockets, close: () => agent.destroy() };
  }

  it('a revoked or expired caller credential is refused within a second, on the same connection', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    const caller = await t.app.services.tokens.createPat(p.owner.actor, {
      name: 'verifier',
      expiresIn: '2h',
    });
    const conn = await overOneConnection();
    try {
      for (let i = 0; i < 5; i++)
        expect((await conn.send(caller.token, { key: key.token })).status).toBe(200);
      expect(conn.sockets.size).toBe(1);
      // Expiry is checked on every request, cached or not.
      t.clock.advance(2 * HOUR);
      const expired = await conn.send(caller.token, { key: key.token });
      expect(expired.status).toBe(401);
      expect((expired.body.error as { code: string }).code).toBe('TOKEN_EXPIRED');
      t.clock.advance(-2 * HOUR);

      // Another credential on the same connection is its own caller: no mix-up.
      const stranger = await t.signUp();
      expect((await conn.send(stranger.token, { key: key.token })).body.code).toBe('NOT_FOUND');
      expect((await conn.send(caller.token, { key: key.token })).body.code).toBe('VALID');

      await t.app.services.tokens.revokePat(p.owner.actor, caller.id);
      // The caller's standing is remembered for at most a second, on the injected clock.
      t.clock.advance(999);
      expect((await conn.send(caller.token, { key: key.token })).status).toBe(200);
      t.clock.advance(1);
      const revoked = await conn.send(caller.token, { key: key.token });
      expect(revoked.status).toBe(401);
      expect((revoked.body.error as { code: string }).code).toBe('TOKEN_REVOKED');
      expect(conn.sockets.size).toBe(1);
    } finally {
      conn.close();
    }
  });
});

describe('POST /api/v1/orgs/:org/projects/:project/verify', () => {
  it("verifies that project's keys only", async () => {
    const p = await makeProject(t);
    const other = await makeProject(t);
    const key = await p.createKey();
    const foreignKey = await other.createKey();
    const res = await call(t, p.owner.token, 'POST', `${p.base}/verify`, { key: key.token, scope: 'read' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ valid: true, code: 'VALID', keyId: key.id });
    const foreign = await call(t, p.owner.token, 'POST', `${p.base}/verify`, { key: foreignKey.token });
    expect(foreign.json().code).toBe('NOT_FOUND');
    const missing = await call(t, p.owner.token, 'POST', `/api/v1/orgs/${p.orgId}/projects/nope/verify`, {
      key: key.token,
    });
    expect(missing.statusCode).toBe(404);
  });
});

describe('app API keys on /api/v1', () => {
  it('are refused with 401 WRONG_TOKEN_KIND naming the right kind', async () => {
    const p = await makeProject(t);
    const key = await p.createKey();
    for (const url of ['/api/v1/me', `${p.base}/api-keys`]) {
      const res = await t.app.inject({ url, headers: t.auth(key.token) });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('WRONG_TOKEN_KIND');
      expect(res.json().error.message).toMatch(/app API key/);
      expect(res.json().error.hint).toMatch(/personal access token|platform key/);
    }
    const verify = await call(t, key.token, 'POST', '/api/v1/verify', { key: key.token });
    expect(verify.statusCode).toBe(401);
    expect(verify.json().error.code).toBe('WRONG_TOKEN_KIND');
  });
});
