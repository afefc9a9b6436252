import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../packages/server/src/store/test-database.js';
import { startReceiver } from '../../packages/server/test/helpers/webhook-receiver.js';
import { deviceLogin } from './helpers/device-login.js';
import { latch, spawnLatch, stop, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let rx: Awaited<ReturnType<typeof startReceiver>>;
const home = tempDir('effects-owner');
const data = tempDir('effects-data');
// A short attempt timeout keeps the lease (timeout + 5 s) short, so the restart below takes over
// the killed node's attempts within seconds.
const env = { LATCH_EFFECTS_TIMEOUT_SECONDS: '2', LATCH_EFFECTS_CONCURRENCY: '4' } as Record<string, string>;
let pingId = '';
const run = (args: string[]) => latch(args, { configDir: home.path });

beforeAll(async () => {
  rx = await startReceiver();
  // Our own database, so the restarted server finds the queue the killed one left.
  database = await createTestDatabase(inject('adminUrl'));
  env.LATCH_DATABASE_URL = database.url;
  server = await startServer({ dataDir: data.path, env });
  await deviceLogin(server.url, home.path, 'hook@example.com');
  expect((await run(['org', 'create', 'Hookco', '--use'])).code).toBe(0);
  expect((await run(['projects', 'create', 'shop'])).code).toBe(0);
}, 120_000);
afterAll(async () => {
  await server?.stop('SIGKILL');
  await rx?.close();
  await database?.drop();
  home.remove();
  data.remove();
}, 60_000);

describe('webhooks and effects through the real latch binary', () => {
  it('webhooks create (secret once), test (a signed ping), list; effects status', async () => {
    const bad = await run(['webhooks', 'create', '--url', rx.url('/e2e'), '--events', 'api_key.exploded']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown event');

    const created = await run([
      'webhooks',
      'create',
      '--url',
      rx.url('/e2e'),
      '--events',
      'api_key.created,member.added',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^whsec_/);
    expect(created.stderr).toContain('will not be shown again');
    rx.trust('/e2e', secret);

    const listed = await run(['webhooks', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const [ep] = listed.json();
    expect(ep).toMatchObject({
      url: rx.url('/e2e'),
      events: ['api_key.created', 'member.added'],
      enabled: true,
    });
    expect(listed.stdout).not.toContain(secret);

    const ping = await run(['webhooks', 'test', ep.id, '--json']);
    expect(ping.code, ping.stderr).toBe(0);
    const got = await waitFor('the ping', () => rx.at('/e2e')[0]);
    expect(got.verified).toBe(true);
    expect(JSON.parse(got.body).type).toBe('ping');

    let status: { counts: Record<string, number> } = { counts: {} };
    for (let i = 0; i < 50 && !(status.counts.delivered! >= 1); i++) {
      const res = await run(['effects', 'status', '--json']);
      expect(res.code, res.stderr).toBe(0);
      status = res.json();
      if (!(status.counts.delivered! >= 1)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status.counts.delivered).toBe(1);
    const human = await run(['effects', 'status']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('delivered');
    const shown = await run(['effects', 'show', ping.json().id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('delivered');
    pingId = ping.json().id;
  }, 60_000);

  it('effects purge: refuses waiting states, counts on --dry-run, needs --yes without a terminal', async () => {
    const bad = await run(['effects', 'purge', '--state', 'pending', '--older-than', '7d']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('dead, delivered or cancelled');
    // The ping was delivered seconds ago: age it by 8 days so a 7d purge takes it.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query("UPDATE effects SET updated_at = now() - interval '8 days' WHERE id = $1", [pingId]);
    const dry = await run([
      'effects',
      'purge',
      '--state',
      'delivered',
      '--older-than',
      '7d',
      '--dry-run',
      '--json',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toEqual({ count: 1, dryRun: true });
    const refused = await run(['effects', 'purge', '--state', 'delivered', '--older-than', '7d']);
    expect(refused.code).toBe(2);
    const left = await client.query('SELECT count(*)::int AS n FROM effects WHERE id = $1', [pingId]);
    expect(left.rows[0].n).toBe(1);
    const done = await run(['effects', 'purge', '--state', 'delivered', '--older-than', '7d', '--yes']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('Deleted 1 delivered effect');
    const gone = await client.query('SELECT count(*)::int AS n FROM effects WHERE id = $1', [pingId]);
    expect(gone.rows[0].n).toBe(0);
    await client.end();
  }, 60_000);

  it('latch logs --type delivery shows the attempts in order and --tail follows them, each once', async () => {
    expect((await run(['env', 'create', 'production', '--project', 'shop'])).code).toBe(0);
    const key = await run(['keys', 'create', 'logs-enqueuer', '-s', 'effects:write']);
    expect(key.code, key.stderr).toBe(0);
    const token = key.stdout.trim();
    const orgs = (await run(['org', 'list', '--json'])).json() as { id: string; name: string }[];
    const org = orgs.find((o) => o.name === 'Hookco')!.id;
    const enqueue = async (n: number) => {
      const res = await fetch(`${server.url}/api/v1/orgs/${org}/projects/shop/effects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          url: rx.url('/logs'),
          payload: { n, note: 'not-for-logs' },
          environment: 'production',
        }),
      });
      expect(res.status).toBe(202);
    };
    rx.answer('/logs', { status: 500 });
    await enqueue(0);
    await enqueue(1);
    // One 500 then a retry 5 s later: three attempts in all.
    await waitFor('the deliveries', () => rx.at('/logs').length >= 3, 30_000);
    const logs = (args: string[]) => run(['logs', '--env', 'production', '--project', 'shop', ...args]);
    let listed: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && listed.length < 3; i++) {
      const res = await logs(['--type', 'delivery', '--json']);
      expect(res.code, res.stderr).toBe(0);
      listed = res.stdout.trim()
        ? res.stdout
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l))
        : [];
      if (listed.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed).toHaveLength(3);
    expect(listed.every((e) => e.type === 'delivery' && e.action === 'effect')).toBe(true);
    expect(listed.map((e) => e.outcome).sort()).toEqual(['delivered', 'delivered', 'failed']);
    expect(JSON.stringify(listed)).not.toContain('not-for-logs');
    const human = await logs(['--type', 'delivery']);
    expect(human.stdout).toMatch(/delivery\s+effect\s+failed\s+attempt 1 · HTTP 500/);
    expect(human.stdout).toMatch(/delivery\s+effect\s+delivered\s+attempt 2 · HTTP 200/);

    // --tail: the backlog, then a new delivery live; each event once.
    const tail = spawnLatch(
      ['logs', '--env', 'production', '--project', 'shop', '--type', 'delivery', '--tail', '--json'],
      {
        configDir: home.path,
      },
    );
    const lines = () =>
      tail.out.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string });
    await waitFor('the backlog', () => lines().length >= 3);
    await enqueue(2);
    await waitFor('the live delivery', () => lines().length >= 4, 30_000);
    await stop(tail.child);
    const ids = lines().map((e) => e.id);
    expect(ids.slice(0, 3)).toEqual(listed.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
  }, 90_000);

  it('kill -9 during 1,000 deliveries: after a restart every one is delivered at least once', async () => {
    const key = await run(['keys', 'create', 'enqueuer', '-s', 'effects:write,effects:read']);
    expect(key.code, key.stderr).toBe(0);
    const token = key.stdout.trim();
    const orgs = (await run(['org', 'list', '--json'])).json() as { id: string; name: string }[];
    const org = orgs.find((o) => o.name === 'Hookco')!.id;
    // Slow answers, so the kill lands with deliveries in flight and most still waiting.
    rx.answer('/bulk', ...Array.from({ length: 1100 }, () => ({ delayMs: 40 })));
    const ids: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const res = await fetch(`${server.url}/api/v1/orgs/${org}/projects/shop/effects`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ url: rx.url('/bulk'), payload: { n: batch * 50 + i } }),
          });
          expect(res.status).toBe(202);
          return ((await res.json()) as { id: string }).id;
        }),
      );
      ids.push(...answers);
    }
    await waitFor('some deliveries', () => rx.at('/bulk').length >= 50, 60_000);
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('close', r));
    const before = new Set(rx.at('/bulk').map((r) => JSON.parse(r.body).n)).size;
    expect(before).toBeLessThan(1000);

    server = await startServer({ dataDir: data.path, env });
    await waitFor(
      'every delivery',
      () => new Set(rx.at('/bulk').map((r) => JSON.parse(r.body).n)).size === 1000,
      120_000,
    );
    const seen = new Set(rx.at('/bulk').map((r) => JSON.parse(r.body).n));
    expect(seen.size).toBe(1000);
    expect(ids).toHaveLength(1000);
  }, 240_000);
});
