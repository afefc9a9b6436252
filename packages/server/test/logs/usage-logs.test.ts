import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyColumns, insertUsage, insertUsageByUnnest } from '../../src/services/logs/usage-events.repo.js';
import { makeProject, type ProjectFixture } from '../api-keys/fixtures.js';
import { useListeningTestApp } from '../helpers/app.js';
import { readSse, type SseFrame } from '../helpers/sse.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { addMember } from '../members/fixtures.js';

const t = useListeningTestApp();
let p: ProjectFixture;

beforeAll(async () => {
  p = await makeProject(t);
});
let rx: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());

type Item = Record<string, unknown>;
const item = (keyId: string, over: Item = {}): Item => ({
  keyId,
  route: 'GET /v1/projects/:projectId',
  outcome: 'VALID',
  count: 1,
  latencyMsTotal: 2,
  latencyMsMax: 2,
  lastAt: t.clock.now().toISOString(),
  ...over,
});

function report(f: ProjectFixture, items: Item[], token = f.owner.token) {
  return t.app.inject({
    method: 'POST',
    url: `${f.base}/usage`,
    headers: t.auth(token),
    payload: { environment: 'production', items, dropped: 0 },
    remoteAddress: '203.0.113.7',
  });
}

async function storedRows(keyId: string) {
  const { rows } = await t.database.pool.query(
    'SELECT key_name, route, outcome, latency_ms, count, client_addr, at FROM usage_events WHERE key_id = $1 ORDER BY id',
    [keyId],
  );
  return rows;
}

const logsOf = async (f: ProjectFixture, query = '', token = f.owner.token) =>
  t.app.inject({
    method: 'GET',
    url: `${f.base}/environments/production/logs${query}`,
    headers: t.auth(token),
  });

describe('usage ingestion', () => {
  it('stores each event with key name, route, outcome, latency and client address; counts beyond events as one row', async () => {
    const key = await p.createKey({ name: 'Checkout' });
    const now = t.clock.now().getTime();
    const res = await report(p, [
      item(key.id, {
        count: 3,
        latencyMsTotal: 9,
        events: [
          [now - 2000, 1.5],
          [now - 1000, 2.5],
        ],
      }),
      item(key.id, { outcome: 'REVOKED', route: null, events: [[now - 500, 0.25]] }),
    ]);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 2, stored: 4 });
    const rows = await storedRows(key.id);
    expect(rows.map((r) => [r.outcome, r.route, r.latency_ms, r.count])).toEqual([
      ['VALID', 'GET /v1/projects/:projectId', 1.5, 1],
      ['VALID', 'GET /v1/projects/:projectId', 2.5, 1],
      ['VALID', 'GET /v1/projects/:projectId', 5, 1], // 3 counted, 2 sent alone: 9 - 4 ms left
      ['REVOKED', null, 0.25, 1],
    ]);
    expect(rows.every((r) => r.key_name === 'Checkout' && r.client_addr === '203.0.113.7')).toBe(true);
    expect(rows[0].at.getTime()).toBe(now - 2000);
  });

  it('stores counts-only reports of older SDKs as one row per item', async () => {
    const key = await p.createKey();
    const res = await report(p, [item(key.id, { count: 7, latencyMsTotal: 14 })]);
    expect(res.json()).toMatchObject({ stored: 1 });
    expect((await storedRows(key.id)).map((r) => [r.count, r.latency_ms])).toEqual([[7, 14]]);
  });

  it('never stores a future time from a skewed app clock', async () => {
    const key = await p.createKey();
    const now = t.clock.now().getTime();
    await report(p, [item(key.id, { events: [[now + 3_600_000, 1]] })]);
    expect((await storedRows(key.id))[0].at.getTime()).toBe(now);
  });

  it.each([
    [
      'more events than count',
      {
        count: 1,
        events: [
          [1, 1],
          [2, 1],
        ],
      },
    ],
    ['a malformed event', { events: [[1]] }],
    ['a negative latency', { events: [[1, -1]] }],
    ['an unknown field', { extra: true }],
    ['a count of 0', { count: 0 }],
  ])('a bad batch (%s) answers 400 and stores nothing, not even its good items', async (_, bad) => {
    const key = await p.createKey();
    const res = await report(p, [item(key.id), item(key.id, bad)]);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('INVALID_INPUT');
    expect(await storedRows(key.id)).toEqual([]);
  });

  it('stores nothing for another project’s key, and takes last-used from the stored events', async () => {
    const key = await p.createKey();
    const other = await makeProject(t);
    const theirs = await other.createKey();
    const now = t.clock.now().getTime();
    const res = await report(p, [
      item(theirs.id, { events: [[now, 1]] }),
      item(key.id, { outcome: 'REVOKED', events: [[now - 100, 1]] }),
    ]);
    expect(res.json()).toMatchObject({ stored: 1, lastUsedUpdated: 0 });
    expect(await storedRows(theirs.id)).toEqual([]);
    const lastUsed = async () =>
      (await t.database.pool.query('SELECT last_used_at FROM api_keys WHERE id = $1', [key.id])).rows[0]
        .last_used_at;
    expect(await lastUsed()).toBeNull(); // a denied verification is not a use
    // The newest real use among the stored events, not the item's lastAt.
    const res2 = await report(p, [
      item(key.id, { lastAt: new Date(now).toISOString(), events: [[now - 30_000, 1]] }),
    ]);
    expect(res2.json()).toMatchObject({ lastUsedUpdated: 1 });
    expect((await lastUsed()).getTime()).toBe(now - 30_000);
  });
});

describe('binary COPY ingestion', () => {
  const columns = (rows: [string, string | null, string, number, number, number][]) => {
    const c = emptyColumns();
    for (const [keyId, route, outcome, atMs, latencyMs, count] of rows) {
      c.keyId.push(keyId);
      c.route.push(route);
      c.outcome.push(outcome);
      c.atMs.push(atMs);
      c.latencyMs.push(latencyMs);
      c.count.push(count);
    }
    return c;
  };
  const stored = async (keyIds: string[]) =>
    (
      await t.database.pool.query(
        `SELECT org_id, project_id, environment_id, key_id, key_name, at, route, outcome, latency_ms, count,
           client_addr, xid::text AS xid FROM usage_events WHERE key_id = ANY($1) ORDER BY id`,
        [keyIds],
      )
    ).rows;

  it('stores exactly what the unnest insert stored, in the report’s order, in one transaction', async () => {
    const a = await p.createKey({ name: 'Ünïcode “key” 😀' });
    const b = await p.createKey({ name: 'second' });
    const other = await (await makeProject(t)).createKey();
    const now = t.clock.now().getTime();
    const outcomes = ['VALID', 'RATE_LIMITED', 'REVOKED', 'INSUFFICIENT_SCOPE'];
    const rows = Array.from({ length: 3000 }, (_, i) => {
      const key = [a.id, b.id, other.id][i % 3]!;
      const route = i % 5 === 0 ? null : `GET /v1/things/${i % 7} — ✓ "q"`;
      return [key, route, outcomes[i % 4]!, now - ((i * 37) % 100_000) - 0.25, (i % 90) / 8, 1 + (i % 3)] as [
        string,
        string | null,
        string,
        number,
        number,
        number,
      ];
    });
    const viaCopy = await insertUsage(t.database.pool, p.projectId, '198.51.100.4', columns(rows));
    const copied = await stored([a.id, b.id, other.id]);
    await t.database.pool.query('DELETE FROM usage_events WHERE key_id = ANY($1)', [[a.id, b.id, other.id]]);
    const viaUnnest = await insertUsageByUnnest(t.database.pool, p.projectId, '198.51.100.4', columns(rows));
    const unnested = await stored([a.id, b.id, other.id]);

    expect(viaCopy.stored).toBe(2000); // the other project's key stores nothing
    expect(viaCopy.stored).toBe(viaUnnest.stored);
    const byId = (l: { id: string; at: Date }[]) => [...l].sort((x, y) => x.id.localeCompare(y.id));
    expect(byId(viaCopy.lastUsed)).toEqual(byId(viaUnnest.lastUsed));
    const strip = (r: Record<string, unknown>) => ({ ...r, xid: undefined });
    expect(copied.map(strip)).toEqual(unnested.map(strip));
    expect(copied.map((r) => r.key_id)).toEqual(rows.filter((r) => r[0] !== other.id).map((r) => r[0]));
    expect(new Set(copied.map((r) => r.xid)).size).toBe(1);
  });

  it('a report with no row of this project’s keys stores nothing and sends no COPY', async () => {
    const other = await (await makeProject(t)).createKey();
    const res = await insertUsage(
      t.database.pool,
      p.projectId,
      null,
      columns([[other.id, null, 'VALID', 1, 1, 1]]),
    );
    expect(res).toEqual({ stored: 0, lastUsed: [] });
    expect(await stored([other.id])).toEqual([]);
  });

  it('a COPY the database refuses stores none of the report, and the pool stays usable', async () => {
    const key = await p.createKey();
    const bad = columns([
      [key.id, null, 'VALID', 1_000, 1, 1],
      [key.id, null, 'VALID', 2_000, 1, 0], // count > 0 is a CHECK of the table
    ]);
    await expect(insertUsage(t.database.pool, p.projectId, null, bad)).rejects.toThrow(/check constraint/);
    expect(await stored([key.id])).toEqual([]);
    const ok = await insertUsage(
      t.database.pool,
      p.projectId,
      null,
      columns([[key.id, null, 'VALID', 3_000, 1, 1]]),
    );
    expect(ok.stored).toBe(1);
  });
});

describe('retention (LATCH_USAGE_RETENTION)', () => {
  it('the job deletes events older than the retention, by the injected clock', async () => {
    const key = await p.createKey();
    const start = t.clock.now().getTime();
    await report(p, [item(key.id, { events: [[start - 1000, 1]] })]);
    t.clock.advance(20 * 86_400_000);
    await report(p, [item(key.id, { events: [[t.clock.now().getTime(), 1]] })]);
    expect(t.app.services.logs.retentionMs).toBe(30 * 86_400_000);
    await t.app.services.logs.purge();
    expect(await storedRows(key.id)).toHaveLength(2);
    t.clock.advance(10 * 86_400_000 + 1000);
    expect(await t.app.services.logs.purge()).toBeGreaterThanOrEqual(1);
    const left = await storedRows(key.id);
    expect(left).toHaveLength(1);
    expect(left[0].at.getTime()).toBe(start + 20 * 86_400_000);
    t.clock.set(new Date(start));
  });
});

describe('GET …/environments/:env/logs', () => {
  it('one stream of verifications, denials, rate limits and audit events; --type and --key filter', async () => {
    const f = await makeProject(t);
    const key = await f.createKey({ name: 'Mobile' });
    const other = await f.createKey({ name: 'Web' });
    const now = t.clock.now().getTime();
    await report(f, [
      item(key.id, { events: [[now, 3]] }),
      item(key.id, { outcome: 'INSUFFICIENT_SCOPE', events: [[now, 1]] }),
      item(other.id, { outcome: 'RATE_LIMITED', events: [[now, 1]] }),
    ]);
    const all = (await logsOf(f)).json().items as { type: string; keyName: string; action: string }[];
    // The environment's audit rows (made by makeProject and the two keys), then the verifications.
    expect(all.map((e) => e.type)).toEqual([
      'audit',
      'audit',
      'audit',
      'audit',
      'verify',
      'denied',
      'rate_limited',
    ]);
    expect(all.filter((e) => e.type === 'audit').map((e) => e.action)).toEqual([
      'environment.created',
      'manifest.pushed',
      'api_key.created',
      'api_key.created',
    ]);
    expect(all[4]).toMatchObject({ keyName: 'Mobile', route: 'GET /v1/projects/:projectId', latencyMs: 3 });
    const denied = (await logsOf(f, '?type=denied,rate_limited')).json().items;
    expect(denied.map((e: { type: string }) => e.type)).toEqual(['denied', 'rate_limited']);
    const mine = (await logsOf(f, `?type=verify,denied,rate_limited&key=${key.id}`)).json().items;
    expect(mine).toHaveLength(2);
    expect((await logsOf(f, '?type=bogus')).statusCode).toBe(400);
    // No effect was sent for this environment.
    expect((await logsOf(f, '?type=delivery')).json().items).toEqual([]);
    // Paging by position: two pages of 4 and 3, nothing twice.
    const first = (await logsOf(f, '?limit=4')).json();
    const second = (await logsOf(f, `?limit=4&cursor=${first.nextCursor}`)).json();
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((e: { id: string }) => e.id)).toEqual(
      all.map((e) => (e as unknown as { id: string }).id),
    );
  });

  it('a viewer reads logs (logs:read); another org sees 404, and never these events', async () => {
    const f = await makeProject(t);
    const key = await f.createKey();
    await report(f, [item(key.id, { events: [[t.clock.now().getTime(), 1]] })]);
    const viewer = await addMember(t, f.owner.token, f.orgId, 'viewer');
    const seen = await logsOf(f, '', viewer.token);
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json().items.some((e: { keyId: string }) => e.keyId === key.id)).toBe(true);
    const stranger = await makeProject(t);
    expect((await logsOf(f, '', stranger.owner.token)).statusCode).toBe(404);
    const theirs = (await logsOf(stranger)).json().items;
    expect(JSON.stringify(theirs)).not.toContain(key.id);
    const s = await readSse(
      `${t.url}${f.base}/environments/production/logs/stream`,
      stranger.owner.token,
      () => true,
    );
    expect(s.res.status).toBe(404);
  });
});

describe('GET …/environments/:env/logs/stream', () => {
  it('sends the backlog, then new events live, and resumes after Last-Event-ID with none lost or repeated', async () => {
    const f = await makeProject(t);
    const key = await f.createKey();
    const path = `${t.url}${f.base}/environments/production/logs/stream?type=verify`;
    const send = (n: number) =>
      report(f, [
        item(key.id, {
          count: n,
          events: Array.from({ length: n }, (_, i) => [t.clock.now().getTime() + i, i]),
        }),
      ]);
    await send(3);
    const logs = (fs: SseFrame[]) => fs.filter((x) => x.event === 'log');
    const first = await readSse(path, f.owner.token, (fs) => logs(fs).length >= 5, {});
    // Backlog (3), the hello frame, then two live events.
    await new Promise((r) => setTimeout(r, 100));
    await send(2);
    await first.done;
    first.close();
    expect(first.res.headers.get('content-type')).toContain('text/event-stream');
    const seen = logs(first.frames);
    expect(seen.map((x) => x.data.latencyMs)).toEqual([0, 1, 2, 0, 1]);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/latch_sse_clients\{stream="logs"\} \d/);

    // Missed while disconnected: resumes exactly after the last id it saw.
    await send(4);
    const again = await readSse(path, f.owner.token, (fs) => logs(fs).length >= 4, {
      'last-event-id': seen.at(-1)!.id!,
    });
    await again.done;
    again.close();
    const resumed = logs(again.frames);
    expect(resumed.map((x) => x.data.latencyMs)).toEqual([0, 1, 2, 3]);
    const ids = [...seen, ...resumed].map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('deliveries in the log (--type delivery)', () => {
  const drain = () => t.app.services.effectsWorker.drain();
  const enqueue = (f: ProjectFixture, body: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `${f.base}/effects`, headers: t.auth(f.owner.token), payload: body });

  it("lists every attempt of the environment's app effects and webhook events, in order, with no payload", async () => {
    const f = await makeProject(t);
    const hook = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${f.orgId}/webhooks`,
      headers: t.auth(f.owner.token),
      payload: { url: rx.url('/logs-hook'), events: ['api_key.created'] },
    });
    expect(hook.statusCode, hook.body).toBe(201);
    const endpoint = hook.json().id as string;
    rx.answer('/logs-app', { status: 503 });
    const app = await enqueue(f, {
      url: rx.url('/logs-app'),
      payload: { secretish: 'do-not-log-me' },
      environment: 'production',
    });
    expect(app.statusCode, app.body).toBe(202);
    // An effect for no environment is in nobody's environment log.
    expect((await enqueue(f, { url: rx.url('/logs-none'), payload: {} })).statusCode).toBe(202);
    await drain(); // app: 503 (attempt 1)
    const key = await f.createKey();
    t.clock.advance(10_000);
    await drain(); // app: delivered (attempt 2); the api_key.created webhook: delivered
    expect(rx.at('/logs-hook')).toHaveLength(1);

    const res = await logsOf(f, '?type=delivery');
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as Record<string, unknown>[];
    expect(items.map((e) => [e.action, e.outcome, e.detail])).toEqual(
      expect.arrayContaining([
        ['effect', 'failed', 'attempt 1 · HTTP 503'],
        ['effect', 'delivered', 'attempt 2 · HTTP 200'],
        ['api_key.created', 'delivered', 'attempt 1 · HTTP 200'],
      ]),
    );
    expect(items).toHaveLength(3);
    expect(items[0]).toMatchObject({ type: 'delivery', action: 'effect', outcome: 'failed' });
    expect(items.find((e) => e.action === 'api_key.created')!.target).toBe(`webhook_endpoint:${endpoint}`);
    expect(items[0]!.target).toBe(`effect:${app.json().id}`);
    expect(typeof items[0]!.latencyMs).toBe('number');
    expect(JSON.stringify(items)).not.toContain('do-not-log-me');
    expect(JSON.stringify(items)).not.toContain(key.token);
    // In the one stream with the rest, in position order; a key filter shows no deliveries.
    const all = (await logsOf(f)).json().items as { id: string; type: string }[];
    expect(all.filter((e) => e.type === 'delivery').map((e) => e.id)).toEqual(items.map((e) => e.id));
    const ids = all.map((e) => e.id);
    const sorted = [...ids].sort((a, b) => {
      const [ax, as, ai] = a.split('-').map(BigInt);
      const [bx, bs, bi] = b.split('-').map(BigInt);
      return ax !== bx ? (ax! < bx! ? -1 : 1) : as !== bs ? (as! < bs! ? -1 : 1) : ai! < bi! ? -1 : 1;
    });
    expect(ids).toEqual(sorted);
    expect((await logsOf(f, `?type=delivery&key=${key.id}`)).json().items).toEqual([]);
    // Another environment of the project (makeProject made staging too) sees none of them.
    const staging = await t.app.inject({
      url: `${f.base}/environments/staging/logs?type=delivery`,
      headers: t.auth(f.owner.token),
    });
    expect(staging.json().items).toEqual([]);
  });

  it('the stream sends deliveries live and resumes after Last-Event-ID with none lost or repeated', async () => {
    const f = await makeProject(t);
    const path = `${t.url}${f.base}/environments/production/logs/stream?type=delivery`;
    const send = async (n: number, from: number) => {
      for (let i = 0; i < n; i++) {
        const res = await enqueue(f, {
          url: rx.url('/logs-live'),
          payload: { n: from + i },
          environment: 'production',
        });
        expect(res.statusCode, res.body).toBe(202);
      }
      await drain();
    };
    await send(2, 0);
    const logs = (fs: SseFrame[]) => fs.filter((x) => x.event === 'log');
    const first = await readSse(path, f.owner.token, (fs) => logs(fs).length >= 4);
    await new Promise((r) => setTimeout(r, 100));
    await send(2, 2);
    await first.done;
    first.close();
    const seen = logs(first.frames);
    expect(seen.map((x) => x.data.type)).toEqual(['delivery', 'delivery', 'delivery', 'delivery']);
    expect(seen.every((x) => /^\d+-3-\d+$/.test(x.id!))).toBe(true);

    await send(3, 4);
    const again = await readSse(path, f.owner.token, (fs) => logs(fs).length >= 3, {
      'last-event-id': seen.at(-1)!.id!,
    });
    await again.done;
    again.close();
    const resumed = logs(again.frames);
    expect(resumed).toHaveLength(3);
    const ids = [...seen, ...resumed].map((x) => x.id);
    expect(new Set(ids).size).toBe(7);
    const stored = await t.database.pool.query<{ pos: string }>(
      `SELECT a.log_xid::text || '-3-' || a.log_id AS pos FROM effect_attempts a
       JOIN effects e ON e.id = a.effect_id WHERE e.url = $1 AND e.org_id = $2 ORDER BY a.log_xid, a.log_id`,
      [rx.url('/logs-live'), f.orgId],
    );
    expect(ids).toEqual(stored.rows.map((r) => r.pos));
  });
});
