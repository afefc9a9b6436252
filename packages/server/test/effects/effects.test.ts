import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
