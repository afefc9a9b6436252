import { spawnSync } from 'node:child_process';
import { generateToken } from '@latchkey/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, type ProjectFixture } from '../api-keys/fixtures.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';

const METRICS_TOKEN = 'metrics-scrape-token-for-tests';
const db = useTestDatabase();
let t: TestApp;
let url: string;
let p: ProjectFixture;

beforeAll(async () => {
  // Process metrics too, so promtool sees everything the real server exposes.
  t = await createTestApp(db.database, { metricsToken: METRICS_TOKEN }, { processMetrics: true });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  p = await makeProject(t);
});
afterAll(async () => {
  await t?.app.close();
});

async function scrape(app = t, remoteAddress = '127.0.0.1'): Promise<string> {
  const res = await app.app.inject({
    url: '/metrics',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    remoteAddress,
  });
  expect(res.statusCode).toBe(200);
  return res.body;
}

/** The value of one series (`name{labels}` exactly as exposed), 0 when it is not there yet. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('/metrics', () => {
  it('needs the metrics token when one is set: 401 in the API error format without it or with a wrong one', async () => {
    const none = await t.app.inject({ url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(none.json().error.hint).toContain('LATCH_METRICS_TOKEN');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="latchkey"');
    // Wrong values of every length (the comparison is over SHA-256 digests, so none is special).
    for (const wrong of [
      'x',
      METRICS_TOKEN.slice(0, -1),
      `${METRICS_TOKEN}x`,
      METRICS_TOKEN.toUpperCase(),
      p.owner.token,
    ]) {
      const res = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${wrong}` } });
      expect(res.statusCode, wrong).toBe(401);
      expect(res.body).not.toContain('latch_');
    }
    const ok = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(ok.body).toContain('# TYPE latch_http_requests_total counter');
  });

  it('is open when no token is configured', async () => {
    const open = await createTestApp(db.database);
    try {
      const res = await open.app.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('latch_verifications_total');
    } finally {
      await open.app.close();
    }
  });

  it('counts requests by route pattern and status, with latency in seconds; unmatched URLs share one label', async () => {
    const orgPath = `/api/v1/orgs/${p.orgId}/projects/${p.projectId}`;
    const route = 'route="/api/v1/orgs/:org/projects/:project"';
    const ok = `latch_http_requests_total{method="GET",${route},status="200"}`;
    const missing = 'latch_http_requests_total{method="GET",route="unmatched",status="404"}';
    const before = await scrape();
    expect((await t.app.inject({ url: orgPath, headers: t.auth(p.owner.token) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/no/such/${p.projectId}` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/nor/this/one' })).statusCode).toBe(404);
    const after = await scrape();
    expect(value(after, ok) - value(before, ok)).toBe(1);
    expect(value(after, missing) - value(before, missing)).toBe(2);
    const count = `latch_http_request_duration_seconds_count{method="GET",${route},status="200"}`;
    const inf = `latch_http_request_duration_seconds_bucket{method="GET",${route},status="200",le="+Inf"}`;
    expect(value(after, count) - value(before, count)).toBe(1);
    expect(value(after, inf)).toBe(value(after, count));
    const sum = value(after, `latch_http_request_duration_seconds_sum{method="GET",${route},status="200"}`);
    // Seconds, not milliseconds: one in-process request takes far less than a second.
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(5);
    expect(after).toContain('le="0.005"');
    const missingSum = 'latch_http_request_duration_seconds_sum{method="GET",route="unmatched",status="404"}';
    expect(value(after, missingSum) - value(before, missingSum)).toBeGreaterThan(0);
  });

  it('counts verifications by outcome, cache look-ups, audit rows, and never shows an id as a label', async () => {
    const key = await p.createKey();
    const before = await scrape();
    const valid = 'latch_verifications_total{outcome="valid"}';
    const notFound = 'latch_verifications_total{outcome="not_found"}';
    const lookups = () =>
      ['hit', 'miss'].reduce(
        (n, r) => n + value(before, `latch_verify_cache_lookups_total{result="${r}"}`),
        0,
      );
    const lookupsBefore = lookups();
    await p.verify({ key: key.token });
    await p.verify({ key: key.token });
    await p.verify({ key: generateToken(p.prefix) });
    const after = await scrape();
    expect(value(after, valid) - value(before, valid)).toBe(2);
    expect(value(after, notFound) - value(before, notFound)).toBe(1);
    const lookupsAfter = ['hit', 'miss'].reduce(
      (n, r) => n + value(after, `latch_verify_cache_lookups_total{result="${r}"}`),
      0,
    );
    expect(lookupsAfter - lookupsBefore).toBeGreaterThanOrEqual(2);
    const ratio = value(after, 'latch_verify_cache_hit_ratio');
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(1);

    // Key creation and revocation write audit rows.
    const audits = value(after, 'latch_audit_events_total');
    await t.app.inject({
      method: 'DELETE',
      url: `${p.base}/api-keys/${key.id}`,
      headers: t.auth(p.owner.token),
    });
    expect(value(await scrape(), 'latch_audit_events_total')).toBeGreaterThan(audits);

    const text = await scrape();
    for (const id of [key.id, p.owner.userId, p.orgId, p.projectId, p.owner.token, key.token]) {
      expect(text).not.toContain(id);
    }
    // Every label is one of the known, bounded ones.
    const labelNames = new Set<string>();
    for (const line of text.split('\n').filter((l) => l.startsWith('latch_'))) {
      for (const m of line.matchAll(/([a-z_]+)="/g)) labelNames.add(m[1]!);
    }
    expect([...labelNames].sort()).toEqual(
      [
        'le',
        'limiter',
        'method',
        'outcome',
        'pool',
        'result',
        'route',
        'stat',
        'state',
        'status',
        'stream',
      ].sort(),
    );
  });

  it('counts rate-limit rejections by limiter', async () => {
    const limited = await createTestApp(db.database, {
      metricsToken: METRICS_TOKEN,
      rateLimits: { perIp: { points: 2, durationSeconds: 60 } } as never,
    });
    try {
      const series = 'latch_rate_limit_rejections_total{limiter="address"}';
      expect(value(await scrape(limited, '10.9.0.2'), series)).toBe(0);
      const codes: number[] = [];
      for (let i = 0; i < 3; i++)
        codes.push((await limited.app.inject({ url: '/health', remoteAddress: '10.9.0.1' })).statusCode);
      expect(codes).toEqual([200, 200, 429]);
      const text = await scrape(limited, '10.9.0.3');
      expect(value(text, series)).toBe(1);
      expect(value(text, 'latch_http_requests_total{method="GET",route="/health",status="429"}')).toBe(1);
    } finally {
      await limited.app.close();
    }
  });

  it('shows SSE clients connected, the database pool and the event-loop lag', async () => {
    const sse = 'latch_sse_clients{stream="key_events"}';
    expect(value(await scrape(), sse)).toBe(0);
    const ac = new AbortController();
    const res = await fetch(`${url}${p.base}/events?environment=production`, {
      headers: t.auth(p.owner.token),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    try {
      expect(value(await scrape(), sse)).toBe(1);
    } finally {
      ac.abort();
    }
    const start = Date.now();
    while (value(await scrape(), sse) !== 0 && Date.now() - start < 2000)
      await new Promise((r) => setTimeout(r, 10));
    expect(value(await scrape(), sse)).toBe(0);

    const text = await scrape();
    expect(value(text, 'latch_db_pool_connections{pool="main"}')).toBeGreaterThan(0);
    // Verification's own pool: reported from the start, though it connects on the first miss.
    for (const pool of ['main', 'verify']) {
      expect(text).toMatch(new RegExp(`^latch_db_pool_connections\\{pool="${pool}"\\} \\d+$`, 'm'));
      expect(text).toMatch(new RegExp(`^latch_db_pool_idle_connections\\{pool="${pool}"\\} \\d+$`, 'm'));
      expect(text).toMatch(new RegExp(`^latch_db_pool_waiting_clients\\{pool="${pool}"\\} \\d+$`, 'm'));
    }
    expect(text).toMatch(/^latch_event_loop_lag_seconds\{stat="p99"\} [\d.e-]+$/m);
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('shows how long audit rows have waited for a signed checkpoint, and how many', async () => {
    await p.createKey(); // an audit row in the owner's chain, not yet checkpointed
    const waiting = await scrape();
    expect(value(waiting, 'latch_audit_unsigned_rows')).toBeGreaterThan(0);
    // The checkpoint trigger signs a chain after 60 minutes at the latest (injected clock).
    t.clock.advance(61 * 60_000);
    const late = await scrape();
    // A chain's start is the database's time, the test clock started a little before: not exact.
    expect(value(late, 'latch_audit_checkpoint_age_seconds')).toBeGreaterThan(60 * 60);
    expect((await t.app.services.audit.internal.tick()).length).toBeGreaterThan(0);
    const signed = await scrape();
    expect(value(signed, 'latch_audit_checkpoint_age_seconds')).toBe(0);
    expect(value(signed, 'latch_audit_unsigned_rows')).toBe(0);
  });

  it('passes `promtool check metrics` with zero problems', async () => {
    // Some traffic first, so histograms and labelled series are in the output.
    await t.app.inject({ url: '/health' });
    await t.app.inject({ url: '/missing' });
    const text = await scrape();
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error) {
      throw new Error(
        `promtool is needed for this test (${promtool.error.message}): apt-get install -y prometheus`,
      );
    }
    expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
    expect(promtool.status).toBe(0);
  });
});
