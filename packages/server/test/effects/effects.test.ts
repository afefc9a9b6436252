import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver, deliveryAgents } from '../../src/services/effects/deliver.js';
import { finishBatch } from '../../src/services/effects/queue.js';
import { isPrivateAddress, resolveTarget } from '../../src/services/effects/target.js';
import { createWorker } from '../../src/services/effects/worker.js';
import { poolOf } from '../../src/store/db.js';
import { makeProject } from '../api-keys/fixtures.js';
import { useTestApp } from '../helpers/app.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

const t = useTestApp({ effects: { timeoutMs: 2000 } });
let rx: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());

const enqueue = (token: string, base: string, payload: unknown) =>
  t.app.inject({
    method: 'POST',
    url: `${base}/effects`,
    headers: t.auth(token),
    payload: payload as object,
  });

describe('app-enqueued effects', () => {
  it('delivers the payload with its headers; the same idempotency key within 24 h answers the first effect', async () => {
    const p = await makeProject(t);
    const body = {
      url: rx.url('/app1'),
      payload: { order: 42 },
      headers: { 'x-app': 'yes' },
      idempotencyKey: 'order-42',
    };
    const first = await enqueue(p.owner.token, p.base, body);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json()).toMatchObject({ state: 'pending', kind: 'app', duplicate: false, project: p.name });
    const again = await enqueue(p.owner.token, p.base, body);
    expect(again.json()).toMatchObject({ id: first.json().id, duplicate: true });
    await t.app.services.effectsWorker.drain();
    const got = rx.at('/app1');
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body)).toEqual({ order: 42 });
    expect(got[0]!.headers['x-app']).toBe('yes');
    expect(got[0]!.headers['idempotency-key']).toBe(first.json().messageId);
    t.clock.advance(24 * 3_600_000 + 1000);
    const later = await enqueue(p.owner.token, p.base, body);
    expect(later.json()).toMatchObject({ duplicate: false });
    expect(later.json().id).not.toBe(first.json().id);
  });

  it('refuses bad input with 400, a code and a hint: URLs, payloads over 256 KiB, retry policies, headers', async () => {
    const p = await makeProject(t);
    const url = rx.url('/never');
    for (const payload of [
      { url: 'http//nope', payload: {} },
      { url, payload: 'x'.repeat(256 * 1024) },
      { url, payload: {}, retry: { maxAttempts: 0 } },
      { url, payload: {}, retry: { maxAttempts: 100 } },
      { url, payload: {}, retry: { backoffSeconds: [-1] } },
      { url, payload: {}, retry: { backoffSeconds: [] } },
      { url, payload: {}, retry: { jitter: true } },
      { url, payload: {}, headers: { 'webhook-signature': 'forged' } },
      { url, payload: {}, headers: { 'x-a': 'line\r\nInjected: 1' } },
    ]) {
      const res = await enqueue(p.owner.token, p.base, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(res.json().error.code).toBe('INVALID_INPUT');
      expect(res.json().error.hint).toBeTruthy();
    }
    const n = await t.database.db.execute(
      sql`SELECT count(*)::int AS n FROM effects WHERE project_id = ${p.projectId}`,
    );
    expect(n.rows[0]!.n).toBe(0);
  });

  it('follows the retry policy, then dead; status, list, show, cancel; snippets are truncated and redacted', async () => {
    const p = await makeProject(t);
    const token = p.owner.token;
    rx.answer('/app2', { status: 500, body: `${token} ${'y'.repeat(5000)}` }, { status: 500 });
    const res = await enqueue(p.owner.token, p.base, {
      url: rx.url('/app2'),
      payload: 1,
      retry: { maxAttempts: 2, backoffSeconds: [10] },
    });
    const id = res.json().id as string;
    await t.app.services.effectsWorker.drain();
    t.clock.advance(12_000);
    await t.app.services.effectsWorker.drain();
    const shown = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/effects/${id}`,
      headers: t.auth(p.owner.token),
    });
    expect(shown.json()).toMatchObject({ state: 'dead', attempts: 2, maxAttempts: 2 });
    const snippet = shown.json().attemptLog[0].responseSnippet as string;
    expect(Buffer.byteLength(snippet)).toBeLessThanOrEqual(1024);
    expect(snippet).not.toContain(token);
    const status = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/effects/status`,
      headers: t.auth(p.owner.token),
    });
    expect(status.json().counts.dead).toBe(1);
    expect(status.json().latestFailures[0]).toMatchObject({ id, status: 500 });
    const dead = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/effects?state=dead`,
      headers: t.auth(p.owner.token),
    });
    expect(dead.json().items.map((e: { id: string }) => e.id)).toEqual([id]);
    const cancelDead = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/effects/${id}/cancel`,
      headers: t.auth(p.owner.token),
    });
    expect(cancelDead.statusCode).toBe(409);
    const waiting = await enqueue(p.owner.token, p.base, { url: rx.url('/app3'), payload: 1 });
    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/effects/${waiting.json().id}/cancel`,
      headers: t.auth(p.owner.token),
    });
    expect(cancelled.json().state).toBe('cancelled');
    await t.app.services.effectsWorker.drain();
    expect(rx.at('/app3')).toHaveLength(0);
  });

  it('replay sends again what an endpoint was sent, with the same webhook-id', async () => {
    const p = await makeProject(t);
    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/webhooks`,
      headers: t.auth(p.owner.token),
      payload: { url: rx.url('/replay'), events: ['api_key.created'] },
    });
    const ep = created.json();
    await p.createKey();
    await p.createKey();
    await t.app.services.effectsWorker.drain();
    const replay = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/effects/replay`,
      headers: t.auth(p.owner.token),
      payload: { endpoint: ep.id, since: new Date(Date.now() - 3_600_000).toISOString() },
    });
    expect(replay.json()).toEqual({ enqueued: 2 });
    await t.app.services.effectsWorker.drain();
    const ids = rx.at('/replay').map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
  });

  it('two nodes on one database deliver each effect once', async () => {
    const p = await makeProject(t);
    const pool = poolOf(t.database.db);
    const opts = {
      pool,
      clock: t.clock,
      masterKey: t.config.masterKey,
      policy: { requireHttps: false, allowPrivate: true },
      concurrency: 16,
    };
    const a = createWorker(opts);
    const b = createWorker(opts);
    const actor = {
      ...p.owner.actor,
      org: await t.app.services.orgs.resolve(p.owner.actor.principal, p.orgId),
    };
    for (let i = 0; i < 200; i++)
      await t.app.services.effects.enqueue(actor, p.projectId, { url: rx.url('/two'), payload: { i } });
    await Promise.all([a.drain(), b.drain()]);
    const got = rx.at('/two').map((r) => JSON.parse(r.body).i as number);
    expect(got).toHaveLength(200);
    expect(new Set(got).size).toBe(200);
    const nodes = await t.database.db.execute(sql`
      SELECT count(DISTINCT a.node)::int AS n FROM effect_attempts a JOIN effects e ON e.id = a.effect_id WHERE e.project_id = ${p.projectId}`);
    expect(nodes.rows[0]!.n).toBe(2);
  }, 120_000);

  it('a clean stop returns unfinished attempts to the queue', async () => {
    const p = await makeProject(t);
    rx.answer('/hang', { hang: true });
    const w = createWorker({
      pool: poolOf(t.database.db),
      clock: t.clock,
      masterKey: null,
      policy: { requireHttps: false, allowPrivate: true },
      pollMs: 20,
    });
    const res = await enqueue(p.owner.token, p.base, { url: rx.url('/hang'), payload: 1 });
    w.start();
    for (let i = 0; i < 100 && rx.at('/hang').length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await w.stop(50);
    const row = (
      await t.database.db.execute(
        sql`SELECT state, attempts, locked_by FROM effects WHERE id = ${res.json().id}`,
      )
    ).rows[0];
    expect(row).toEqual({ state: 'retrying', attempts: 0, locked_by: null });
  });
});

/** The pool, with every statement that records attempts counted (and the first one held back). */
function countingPool(holdFirstMs: number) {
  const pool = poolOf(t.database.db);
  const counted = { finishes: 0 };
  const proxy = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return async (query: string | { text: string }, values?: unknown[]) => {
        // The worker's statements are named (prepared) query configs.
        const text = typeof query === 'string' ? query : query.text;
        if (text.includes('INSERT INTO effect_attempts')) {
          counted.finishes++;
          if (counted.finishes === 1) await new Promise((r) => setTimeout(r, holdFirstMs));
        }
        return target.query(query as string, values);
      };
    },
  }) as pg.Pool;
  return { pool: proxy, counted };
}

describe('recording attempts in batches', () => {
  it('attempts that finish together are recorded in one statement, each with its own outcome', async () => {
    const p = await makeProject(t);
    // What earlier tests left due is delivered first: the counts below are this test's own.
    await t.app.services.effectsWorker.drain();
    const { pool, counted } = countingPool(500);
    const w = createWorker({
      pool,
      clock: t.clock,
      masterKey: null,
      policy: { requireHttps: false, allowPrivate: true },
      concurrency: 32,
    });
    rx.answer('/batch-fail', ...Array.from({ length: 30 }, () => ({ status: 500 })));
    rx.answer('/batch-dead', ...Array.from({ length: 10 }, () => ({ status: 503 })));
    const ids: Record<string, string[]> = { ok: [], fail: [], dead: [] };
    for (let i = 0; i < 10; i++) {
      for (const [kind, path, retry] of [
        ['ok', '/batch-ok', undefined],
        ['fail', '/batch-fail', { maxAttempts: 3, backoffSeconds: [60] }],
        ['dead', '/batch-dead', { maxAttempts: 1 }],
      ] as const) {
        const res = await enqueue(p.owner.token, p.base, {
          url: rx.url(path),
          payload: { i },
          ...(retry ? { retry } : {}),
        });
        ids[kind]!.push(res.json().id);
      }
    }
    const before = t.clock.now().getTime();
    expect(await w.drain()).toBe(30);
    // The first statement was held: the 29 attempts that finished meanwhile went in one or two more.
    expect(counted.finishes).toBeGreaterThanOrEqual(2);
    expect(counted.finishes).toBeLessThanOrEqual(4);
    const rows = (
      await t.database.db.execute(sql`
        SELECT e.id, e.state, e.attempts, e.last_status, e.locked_by, e.next_attempt_at, e.delivered_at,
          (SELECT count(*)::int FROM effect_attempts a WHERE a.effect_id = e.id) AS recorded,
          (SELECT a.outcome FROM effect_attempts a WHERE a.effect_id = e.id) AS outcome
        FROM effects e WHERE e.project_id = ${p.projectId}`)
    ).rows;
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    for (const id of ids.ok!) {
      expect(byId.get(id)).toMatchObject({
        state: 'delivered',
        attempts: 1,
        last_status: 200,
        locked_by: null,
      });
      expect(byId.get(id)).toMatchObject({ recorded: 1, outcome: 'delivered' });
      expect(byId.get(id)!.delivered_at).not.toBeNull();
    }
    for (const id of ids.fail!) {
      const r = byId.get(id)!;
      expect(r).toMatchObject({
        state: 'retrying',
        attempts: 1,
        last_status: 500,
        recorded: 1,
        outcome: 'failed',
      });
      // 60 s ± 10 % after the attempt.
      const wait = new Date(r.next_attempt_at as string).getTime() - before;
      expect(wait).toBeGreaterThanOrEqual(54_000);
      expect(wait).toBeLessThanOrEqual(66_100);
    }
    for (const id of ids.dead!) {
      expect(byId.get(id)).toMatchObject({ state: 'dead', attempts: 1, last_status: 503, recorded: 1 });
    }
    // The retries follow their schedule in later batches, then the effects are dead.
    t.clock.advance(70_000);
    expect(await w.drain()).toBe(10);
    t.clock.advance(70_000);
    expect(await w.drain()).toBe(10);
    const states = await t.database.db.execute(sql`
      SELECT state, attempts, count(*)::int AS n FROM effects WHERE id = ANY(${`{${ids.fail!.join(',')}}`}::text[])
      GROUP BY state, attempts`);
    expect(states.rows).toEqual([{ state: 'dead', attempts: 3, n: 10 }]);
  }, 60_000);

  it('a batch records only the attempts whose lease this node holds; endpoints end as if recorded in order', async () => {
    const p = await makeProject(t);
    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/webhooks`,
      headers: t.auth(p.owner.token),
      payload: { url: rx.url('/never-sent'), events: ['api_key.created'] },
    });
    const endpointId = created.json().id as string;
    const effectIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ping = await t.app.inject({
        method: 'POST',
        url: `/api/v1/orgs/${p.orgId}/webhooks/${endpointId}/test`,
        headers: t.auth(p.owner.token),
      });
      effectIds.push(ping.json().id);
    }
    const pool = poolOf(t.database.db);
    const lease = async (ids: string[], node: string) =>
      t.database.db.execute(sql`
        UPDATE effects SET state = 'in_flight', locked_by = ${node}, attempts = attempts + 1,
          locked_until = ${new Date(t.clock.now().getTime() + 60_000)}
        WHERE id = ANY(${`{${ids.join(',')}}`}::text[])`);
    const at = (s: number) => new Date(t.clock.now().getTime() + s * 1000);
    const attempt = (id: string, startedAt: Date, ok: boolean, n = 1) => ({
      attempt: {
        effectId: id,
        attempt: n,
        node: 'node_a',
        startedAt,
        latencyMs: 3,
        status: ok ? 200 : 500,
        error: ok ? null : 'HTTP 500 \u0000 with a NUL',
        snippet: ok ? 'ok' : null,
      },
      outcome: {
        state: ok ? ('delivered' as const) : ('retrying' as const),
        nextAt: ok ? null : at(60),
        endpointId,
        now: at(1),
      },
    });
    const failingSince = async () =>
      (await t.database.db.execute(sql`SELECT failing_since FROM webhook_endpoints WHERE id = ${endpointId}`))
        .rows[0]!.failing_since;
    const [e1, e2, e3, e4, e5] = effectIds as [string, string, string, string, string];
    await lease([e1, e2, e3], 'node_a');
    await lease([e4], 'node_b');
    // Failure, success, failure (and one whose lease node_b holds): failing since the last failure.
    const first = await finishBatch(pool, 'node_a', [
      attempt(e1, at(0), false),
      attempt(e2, at(0.1), true),
      attempt(e3, at(0.2), false),
      attempt(e4, at(0.3), true),
    ]);
    expect(first.map((r) => r?.failingSince?.toISOString() ?? r)).toEqual([
      at(0.2).toISOString(),
      at(0.2).toISOString(),
      at(0.2).toISOString(),
      undefined,
    ]);
    expect(new Date(String(await failingSince())).toISOString()).toBe(at(0.2).toISOString());
    const states = async () =>
      Object.fromEntries(
        (
          await t.database.db.execute(sql`
            SELECT e.id, e.state, e.locked_by, (SELECT count(*)::int FROM effect_attempts a WHERE a.effect_id = e.id) AS n
            FROM effects e WHERE e.endpoint_id = ${endpointId}`)
        ).rows.map((r) => [r.id, `${r.state}/${r.locked_by ?? '-'}/${r.n}`]),
      );
    expect(await states()).toEqual({
      [e1]: 'retrying/-/1',
      [e2]: 'delivered/-/1',
      [e3]: 'retrying/-/1',
      [e4]: 'in_flight/node_b/0',
      [e5]: 'pending/-/0',
    });
    const nul = await t.database.db.execute(sql`SELECT error FROM effect_attempts WHERE effect_id = ${e1}`);
    expect(nul.rows[0]!.error).toBe('HTTP 500 \uFFFD with a NUL');
    // Already failing: a later failure keeps the first date; a success last clears it.
    await lease([e5], 'node_a');
    const second = await finishBatch(pool, 'node_a', [attempt(e5, at(5), false)]);
    expect(second[0]?.failingSince?.toISOString()).toBe(at(0.2).toISOString());
    expect(new Date(String(await failingSince())).toISOString()).toBe(at(0.2).toISOString());
    await lease([e1, e5], 'node_a');
    const third = await finishBatch(pool, 'node_a', [
      attempt(e1, at(6), false, 2),
      attempt(e5, at(7), true, 2),
    ]);
    expect(third).toEqual([{ failingSince: null }, { failingSince: null }]);
    expect(await failingSince()).toBeNull();
    expect(await states()).toMatchObject({ [e1]: 'retrying/-/2', [e5]: 'delivered/-/2' });
    // Nothing to record is no statement at all.
    expect(await finishBatch(pool, 'node_a', [])).toEqual([]);
  });
});

describe('delivery targets (SSRF)', () => {
  it('knows private, loopback and link-local addresses, mapped IPv4 included', () => {
    for (const a of [
      '10.1.2.3',
      '127.0.0.1',
      '169.254.169.254',
      '192.168.1.1',
      '172.16.0.1',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
      '100.64.0.1',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('a kept-alive connection is reused, but never for a target the policy refuses', async () => {
    const agents = deliveryAgents(4);
    const url = rx.url('/pooled');
    const open = { requireHttps: false, allowPrivate: true };
    // A socket is handed back to the pool just after its answer ends.
    const idle = async () => {
      await new Promise((r) => setImmediate(r));
      return Object.values(agents.http.freeSockets).flat();
    };
    try {
      expect((await deliver({ url, headers: {}, body: '{}' }, open, 2000, agents)).ok).toBe(true);
      const [socket, ...more] = await idle();
      expect(socket).toBeDefined();
      expect(more).toEqual([]);
      const sent = rx.at('/pooled').length;
      // The same receiver, now refused (a production node without LATCH_WEBHOOKS_ALLOW_PRIVATE):
      // the open connection to it does not matter, the address is checked before anything is sent.
      const refused = await deliver(
        { url, headers: {}, body: '{}' },
        { requireHttps: false, allowPrivate: false },
        2000,
        agents,
      );
      expect(refused).toMatchObject({ ok: false, status: null });
      expect(refused.error).toMatch(/private, loopback or link-local/);
      expect(rx.at('/pooled')).toHaveLength(sent);
      expect((await deliver({ url, headers: {}, body: '{}' }, open, 2000, agents)).ok).toBe(true);
      expect(await idle()).toEqual([socket]);
    } finally {
      agents.http.destroy();
    }
  });

  it('production: https only, and the resolved address is checked (localhost resolves to loopback)', async () => {
    const prod = { requireHttps: true, allowPrivate: false };
    await expect(resolveTarget(new URL('http://example.com/'), prod)).rejects.toThrow(/https/);
    await expect(resolveTarget(new URL('https://localhost/'), prod)).rejects.toThrow(/private/);
    await expect(resolveTarget(new URL('https://169.254.169.254/'), prod)).rejects.toThrow(/private/);
    await expect(resolveTarget(new URL('https://[::ffff:127.0.0.1]/'), prod)).rejects.toThrow(/private/);
    const allowed = await resolveTarget(new URL('http://localhost/'), {
      requireHttps: true,
      allowPrivate: true,
    });
    expect(isPrivateAddress(allowed.address)).toBe(true);
  });
});
