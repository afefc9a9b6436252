import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorker } from '../../src/services/effects/worker.js';
import { rotateMasterKey } from '../../src/services/secrets/master-key.js';
import { poolOf } from '../../src/store/db.js';
import { makeProject } from '../api-keys/fixtures.js';
import { useTestApp } from '../helpers/app.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

const t = useTestApp({ effects: { timeoutMs: 400 } });
let rx: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());

let paths = 0;
async function endpointFor(token: string, org: string, events: string[], path = `/hook${++paths}`) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/orgs/${org}/webhooks`,
    headers: t.auth(token),
    payload: { url: rx.url(path), events },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  rx.trust(path, body.secret);
  return { ...body, path } as { id: string; secret: string; path: string };
}

const drain = () => t.app.services.effectsWorker.drain();
async function effectsOf(endpointId: string) {
  const res = await t.database.db.execute(
    sql`SELECT * FROM effects WHERE endpoint_id = ${endpointId} ORDER BY created_at`,
  );
  return res.rows as Record<string, unknown>[];
}

describe('outbound webhooks', () => {
  it('signs platform events with Standard Webhooks; the secret is shown once, stored encrypted', async () => {
    const p = await makeProject(t);
    const ep = await endpointFor(p.owner.token, p.orgId, ['api_key.created', 'api_key.revoked']);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    const stored = await t.database.db.execute(
      sql`SELECT secret_enc FROM webhook_endpoints WHERE id = ${ep.id}`,
    );
    expect(Buffer.from(stored.rows[0]!.secret_enc as Buffer).includes(Buffer.from(ep.secret.slice(6)))).toBe(
      false,
    );
    const list = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/webhooks`,
      headers: t.auth(p.owner.token),
    });
    expect(list.json().items[0]).not.toHaveProperty('secret');

    const key = await p.createKey();
    await drain();
    const got = rx.at(ep.path);
    expect(got).toHaveLength(1);
    expect(got[0]!.verified).toBe(true);
    const body = JSON.parse(got[0]!.body);
    expect(body.type).toBe('api_key.created');
    expect(body.data.target.id).toBe(key.id);
    expect(got[0]!.body).not.toContain(key.token);
    expect(got[0]!.headers['webhook-id']).toMatch(/^msg_/);
    const [effect] = await effectsOf(ep.id);
    expect(effect).toMatchObject({ state: 'delivered', attempts: 1, event_type: 'api_key.created' });
  });

  it('enqueues an event only with its change: a refused change enqueues nothing', async () => {
    const p = await makeProject(t);
    const ep = await endpointFor(p.owner.token, p.orgId, ['api_key.created']);
    const bad = await t.app.inject({
      method: 'POST',
      url: `${p.base}/api-keys`,
      headers: t.auth(p.owner.token),
      payload: { name: 'x', scope: 'no-such-scope', environment: 'production' },
    });
    expect(bad.statusCode).toBe(400);
    expect(await effectsOf(ep.id)).toHaveLength(0);
    // And a rolled-back transaction takes its event with it.
    await expect(
      t.database.db.transaction(async (tx) => {
        await tx.execute(sql`SELECT 1`);
        const { recordAudit } = await import('../../src/services/audit/audit.service.js');
        await recordAudit(tx, p.owner.actor, { orgId: p.orgId, action: 'api_key.created', data: {} });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await effectsOf(ep.id)).toHaveLength(0);
  });

  it('a secret change, its audit row and its event are written together or not at all', async () => {
    const p = await makeProject(t);
    const ep = await endpointFor(p.owner.token, p.orgId, ['secret.changed']);
    const put = (value: string) =>
      t.app.inject({
        method: 'PUT',
        url: `${p.base}/environments/production/secrets/API_TOKEN`,
        headers: t.auth(p.owner.token),
        payload: { value },
      });
    const counts = async () => {
      const res = await t.database.db.execute(sql`SELECT
        (SELECT count(*)::int FROM secret_versions WHERE project_id = ${p.projectId} AND name = 'API_TOKEN') AS versions,
        (SELECT count(*)::int FROM audit_events WHERE org_id = ${p.orgId} AND action = 'secret.set') AS audits,
        (SELECT count(*)::int FROM effects WHERE endpoint_id = ${ep.id}) AS effects`);
      return res.rows[0] as { versions: number; audits: number; effects: number };
    };
    expect((await put('one')).statusCode).toBe(200);
    expect(await counts()).toEqual({ versions: 1, audits: 1, effects: 1 });
    const [effect] = await effectsOf(ep.id);
    const env = await t.database.db.execute(
      sql`SELECT id FROM environments WHERE project_id = ${p.projectId} AND name = 'production'`,
    );
    expect(effect).toMatchObject({ event_type: 'secret.changed', environment_id: env.rows[0]!.id });
    expect(effect!.id).toMatch(/^eff_/);
    expect(effect!.message_id).toBe(String(effect!.id).replace(/^eff_/, 'msg_'));
    expect(JSON.parse(String(effect!.payload))).toMatchObject({
      type: 'secret.changed',
      data: { name: 'API_TOKEN', version: 1, environment: 'production' },
    });
    expect(String(effect!.payload)).not.toContain('one');

    // The effect cannot be written: neither is the version nor its audit row (no change without
    // its event) ...
    const failOn = async (table: string, run: () => Promise<void>) => {
      await t.database.db.execute(
        sql.raw(`CREATE FUNCTION h3_refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
        CREATE TRIGGER h3_refuse BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION h3_refuse()`),
      );
      try {
        await run();
      } finally {
        await t.database.db.execute(sql.raw(`DROP TRIGGER h3_refuse ON ${table}; DROP FUNCTION h3_refuse()`));
      }
    };
    await failOn('effects', async () => {
      expect((await put('two')).statusCode).toBe(500);
    });
    expect(await counts()).toEqual({ versions: 1, audits: 1, effects: 1 });
    // ... and the version cannot be written: no audit row, no event (no event without its change).
    await failOn('secret_versions', async () => {
      expect((await put('three')).statusCode).toBe(500);
    });
    expect(await counts()).toEqual({ versions: 1, audits: 1, effects: 1 });
    expect((await put('four')).statusCode).toBe(200);
    expect(await counts()).toEqual({ versions: 2, audits: 2, effects: 2 });
    await drain();
    expect(rx.at(ep.path).map((r) => r.verified)).toEqual([true, true]);
  });

  it('refuses bad input with 400, a code and a hint, changing nothing', async () => {
    const p = await makeProject(t);
    const post = (payload: unknown) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/orgs/${p.orgId}/webhooks`,
        headers: t.auth(p.owner.token),
        payload: payload as object,
      });
    for (const payload of [
      { url: 'not a url', events: ['api_key.created'] },
      { url: 'ftp://example.com/x', events: ['api_key.created'] },
      { url: 'https://user:pw@example.com/x', events: ['api_key.created'] },
      { url: 'https://example.com/x', events: ['api_key.exploded'] },
      { url: 'https://example.com/x', events: [] },
    ]) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('INVALID_INPUT');
      expect(res.json().error.hint).toBeTruthy();
    }
    const list = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/webhooks`,
      headers: t.auth(p.owner.token),
    });
    expect(list.json().items).toEqual([]);
  });

  it('retries on the schedule with jitter, honours Retry-After, treats 3xx and slow answers as failures, then dead', async () => {
    const p = await makeProject(t);
    const ep = await endpointFor(p.owner.token, p.orgId, ['api_key.created']);
    rx.answer(
      ep.path,
      { status: 500 },
      { status: 302 },
      { status: 503, retryAfter: '3600' },
      { delayMs: 1000 },
    );
    await p.createKey();
    const start = t.clock.now().getTime();
    await drain();
    let [e] = await effectsOf(ep.id);
    expect(e).toMatchObject({ state: 'retrying', attempts: 1, last_status: 500 });
    const wait1 = new Date(e!.next_attempt_at as string).getTime() - start;
    expect(wait1).toBeGreaterThanOrEqual(4500);
    expect(wait1).toBeLessThanOrEqual(5500);
    expect(await drain()).toBe(0); // not due yet
    t.clock.advance(6_000);
    await drain();
    [e] = await effectsOf(ep.id);
    expect(e).toMatchObject({ state: 'retrying', attempts: 2, last_status: 302 });
    t.clock.advance(6 * 60_000);
    await drain();
    [e] = await effectsOf(ep.id);
    expect(e).toMatchObject({ attempts: 3, last_status: 503 });
    // The schedule says 30 minutes; the receiver asked for an hour.
    expect(new Date(e!.next_attempt_at as string).getTime() - t.clock.now().getTime()).toBeGreaterThanOrEqual(
      3_600_000,
    );
    t.clock.advance(3_601_000);
    await drain();
    [e] = await effectsOf(ep.id);
    expect(e).toMatchObject({ attempts: 4, last_error: 'no answer within 0.4 s' });
    // The remaining attempts (2 h, 5 h, 10 h, 10 h) fail too, then it is dead.
    rx.answer(ep.path, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    for (const hours of [2.5, 5.5, 11, 11]) {
      t.clock.advance(hours * 3_600_000);
      await drain();
    }
    [e] = await effectsOf(ep.id);
    expect(e).toMatchObject({ state: 'dead', attempts: 8 });
    const shown = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/effects/${e!.id}`,
      headers: t.auth(p.owner.token),
    });
    expect(shown.json().attemptLog.map((a: { status: number | null }) => a.status)).toEqual([
      500,
      302,
      503,
      null,
      500,
      500,
      500,
      500,
    ]);
    // retry: one more attempt, now.
    const retried = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/effects/${e!.id}/retry`,
      headers: t.auth(p.owner.token),
    });
    expect(retried.statusCode, retried.body).toBe(200);
    await drain();
    [e] = await effectsOf(ep.id);
    expect(e).toMatchObject({ state: 'delivered', attempts: 9 });
  });

  it('disables an endpoint that failed every attempt for 5 days, with an audit entry and endpoint.disabled to the others', async () => {
    const p = await makeProject(t);
    const failing = await endpointFor(p.owner.token, p.orgId, ['api_key.created']);
    const other = await endpointFor(p.owner.token, p.orgId, ['endpoint.disabled']);
    rx.answer(failing.path, ...Array.from({ length: 50 }, () => ({ status: 500 })));
    await p.createKey();
    await drain();
    t.clock.advance(3 * 24 * 3_600_000);
    await p.createKey();
    await drain();
    let row = (
      await t.database.db.execute(sql`SELECT enabled FROM webhook_endpoints WHERE id = ${failing.id}`)
    ).rows[0];
    expect(row!.enabled).toBe(true);
    // The list shows since when it fails, and the disable later keeps it.
    const firstFailure = (
      await t.database.db.execute(sql`
        SELECT min(a.started_at) AS at FROM effect_attempts a JOIN effects e ON e.id = a.effect_id
        WHERE e.endpoint_id = ${failing.id}`)
    ).rows[0]!;
    const listFailing = async () =>
      (await t.app.inject({ url: `/api/v1/orgs/${p.orgId}/webhooks`, headers: t.auth(p.owner.token) }))
        .json()
        .items.find((e: { id: string }) => e.id === failing.id);
    const shown = await listFailing();
    expect(shown.failingSince).toBe(new Date(String(firstFailure.at)).toISOString());
    expect((await listFailing()).enabled).toBe(true);
    t.clock.advance(2 * 24 * 3_600_000 + 1000);
    await p.createKey();
    await drain();
    row = (
      await t.database.db.execute(
        sql`SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = ${failing.id}`,
      )
    ).rows[0];
    expect(row!.enabled).toBe(false);
    const audit = await t.database.db.execute(
      sql`SELECT actor_type FROM audit_events WHERE action = 'webhook.disabled' AND target_id = ${failing.id}`,
    );
    expect(audit.rows).toEqual([{ actor_type: 'system' }]);
    expect(await listFailing()).toMatchObject({ enabled: false, failingSince: shown.failingSince });
    await drain();
    const told = rx.at(other.path).map((r) => JSON.parse(r.body));
    expect(told).toEqual([expect.objectContaining({ type: 'endpoint.disabled' })]);
    expect(told[0].data.target.id).toBe(failing.id);
    expect(rx.at(other.path)[0]!.verified).toBe(true);
  });

  it('rotate-secret: both secrets sign for 24 hours', async () => {
    const p = await makeProject(t);
    const ep = await endpointFor(p.owner.token, p.orgId, ['api_key.created']);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/webhooks/${ep.id}/rotate-secret`,
      headers: t.auth(p.owner.token),
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const fresh = rotated.json().secret as string;
    expect(fresh).not.toBe(ep.secret);
    // The overlap is visible in the answer and in the list (timestamptz read back as text by drizzle).
    const overlapEnds = new Date(t.clock.now().getTime() + 24 * 3_600_000).toISOString();
    expect(rotated.json().previousSecretExpiresAt).toBe(overlapEnds);
    const listed = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/webhooks`,
      headers: t.auth(p.owner.token),
    });
    expect(listed.json().items.find((e: { id: string }) => e.id === ep.id).previousSecretExpiresAt).toBe(
      overlapEnds,
    );
    for (const [secret, ok] of [
      [ep.secret, true],
      [fresh, true],
    ] as const) {
      rx.trust(ep.path, secret);
      await p.createKey();
      await drain();
      expect(rx.at(ep.path).at(-1)!.verified).toBe(ok);
    }
    t.clock.advance(24 * 3_600_000 + 1000);
    rx.trust(ep.path, ep.secret);
    await p.createKey();
    await drain();
    expect(rx.at(ep.path).at(-1)!.verified).toBe(false);
    expect(rx.at(ep.path).at(-1)!.headers['webhook-signature']).not.toContain(' ');
    const after = await t.app.inject({
      url: `/api/v1/orgs/${p.orgId}/webhooks`,
      headers: t.auth(p.owner.token),
    });
    expect(after.json().items.find((e: { id: string }) => e.id === ep.id).previousSecretExpiresAt).toBeNull();
  });

  it('rotate-master-key seals the signing secrets (current and previous) under the new key', async () => {
    const p = await makeProject(t);
    const ep = await endpointFor(p.owner.token, p.orgId, ['api_key.created']);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/webhooks/${ep.id}/rotate-secret`,
      headers: t.auth(p.owner.token),
    });
    const fresh = rotated.json().secret as string;
    const stored = async () =>
      (
        await t.database.db.execute(
          sql`SELECT secret_enc, previous_secret_enc FROM webhook_endpoints WHERE id = ${ep.id}`,
        )
      ).rows[0]!;
    const before = await stored();
    const oldKey = t.config.masterKey!;
    const newKey = randomBytes(32);
    await expect(rotateMasterKey(t.database.db, randomBytes(32), newKey)).rejects.toThrow();
    expect(await stored()).toEqual(before);
    const { webhookSecrets } = await rotateMasterKey(t.database.db, oldKey, newKey);
    expect(webhookSecrets).toBeGreaterThanOrEqual(1);
    const after = await stored();
    expect(after.secret_enc).not.toEqual(before.secret_enc);
    expect(after.previous_secret_enc).not.toEqual(before.previous_secret_enc);
    for (const blob of [after.secret_enc, after.previous_secret_enc] as Buffer[]) {
      for (const secret of [ep.secret, fresh])
        expect(blob.includes(Buffer.from(secret.slice(6)))).toBe(false);
    }
    try {
      // A node started with the new key signs with both secrets during the overlap.
      const node = createWorker({
        pool: poolOf(t.database.db),
        clock: t.clock,
        masterKey: newKey,
        policy: { requireHttps: false, allowPrivate: true },
      });
      for (const secret of [ep.secret, fresh]) {
        rx.trust(ep.path, secret);
        await p.createKey();
        await node.drain();
        expect(rx.at(ep.path).at(-1)!.verified, secret === fresh ? 'new secret' : 'old secret').toBe(true);
      }
      // One still on the old key opens nothing: the attempt fails and waits for a node that can.
      await p.createKey();
      const received = rx.at(ep.path).length;
      await drain();
      expect(rx.at(ep.path)).toHaveLength(received);
      const [last] = (await effectsOf(ep.id)).slice(-1);
      expect(last).toMatchObject({ state: 'retrying' });
      expect(String(last!.last_error)).toContain('does not open with this master key');
    } finally {
      // The shared app keeps its key: put the database back under it for the other tests.
      await rotateMasterKey(t.database.db, newKey, oldKey);
    }
  });

  it('test sends a ping; delete cancels what waits; another org sees 404', async () => {
    const p = await makeProject(t);
    const ep = await endpointFor(p.owner.token, p.orgId, ['member.added']);
    const ping = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${p.orgId}/webhooks/${ep.id}/test`,
      headers: t.auth(p.owner.token),
    });
    expect(ping.statusCode, ping.body).toBe(202);
    await drain();
    expect(JSON.parse(rx.at(ep.path)[0]!.body).type).toBe('ping');
    const stranger = await t.signUp();
    for (const [method, url] of [
      ['POST', `/api/v1/orgs/${p.orgId}/webhooks/${ep.id}/test`],
      ['DELETE', `/api/v1/orgs/${stranger.personalOrgId}/webhooks/${ep.id}`],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: t.auth(stranger.token) });
      expect(res.statusCode).toBe(404);
    }
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/orgs/${p.orgId}/webhooks/${ep.id}`,
      headers: t.auth(p.owner.token),
    });
    expect(del.statusCode).toBe(200);
  });
});
