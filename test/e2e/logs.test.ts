import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createVerifier, type Verifier } from '../../packages/sdk/src/index.js';
import { createTestDatabase } from '../../packages/server/src/store/test-database.js';
import { deviceLogin } from './helpers/device-login.js';
import { setUpExampleProject } from './helpers/example-app.js';
import { latch, spawnLatch, stop, tempDir, waitFor } from './helpers/latch.js';
import { freePort, type RunningServer, startServer } from './helpers/server.js';

const owner = tempDir('logs-owner');
const dataDir = tempDir('logs-data').path;
let db: { url: string; drop(): Promise<void> };
let port: number;
let server: RunningServer;
let verifier: Verifier;
let reader: { id: string; token: string };

const as = (args: string[]) => latch([...args, '--project', 'acme'], { configDir: owner.path });

const boot = () => startServer({ dataDir, env: { LATCH_DATABASE_URL: db.url, LATCH_PORT: String(port) } });

beforeAll(async () => {
  db = await createTestDatabase(inject('adminUrl'));
  port = await freePort();
  server = await boot();
  await deviceLogin(server.url, owner.path, 'ada@example.com');
  const sdkToken = await setUpExampleProject(owner.path);
  const key = await as(['api-keys', 'create', 'Reader', '--scope', 'read', '--env', 'production', '--json']);
  expect(key.code, key.stderr).toBe(0);
  reader = key.json();
  verifier = createVerifier({
    apiUrl: server.url,
    token: sdkToken,
    project: 'acme',
    environment: 'production',
    usage: { flushIntervalMs: 100 },
  });
  await verifier.ready();
});

afterAll(async () => {
  await verifier?.close().catch(() => {});
  await server?.stop();
  await db?.drop();
  owner.remove();
});

async function storedIds(): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pos: string }>(
      `SELECT xid::text || '-2-' || id AS pos FROM usage_events WHERE key_id = $1 ORDER BY xid, id`,
      [reader.id],
    );
    return rows.map((r) => r.pos);
  } finally {
    await client.end();
  }
}

describe('latch logs through the real binary', () => {
  it('--tail follows verifications live, survives kill -9 and a restart, and prints every event once', async () => {
    const tail = spawnLatch(
      ['logs', '--env', 'production', '--tail', '--type', 'verify', '--json', '--project', 'acme'],
      {
        configDir: owner.path,
      },
    );
    const printed = () =>
      tail.out.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string; type: string; keyId: string });
    let running = true;
    let verified = 0;
    const traffic = (async () => {
      while (running) {
        // While the server is down the SDK answers from its cache (offline grace) and its usage
        // reports fail: those events are dropped by the SDK, never stored, so never in the log.
        const r = await verifier.verify(reader.token).catch(() => null);
        if (r?.valid) verified++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor('the tail to print events', () => printed().length >= 20, 30_000);
    await new Promise((r) => setTimeout(r, 3000));

    // kill -9 mid-tail: no goodbye to the stream, nothing flushed.
    expect(await server.stop('SIGKILL')).toBe(null);
    await new Promise((r) => setTimeout(r, 500));
    await waitFor('the tail to notice', () => tail.out.stderr.includes('reconnecting'), 10_000);
    server = await boot();
    const before = printed().length;
    await waitFor('new events after the restart', () => printed().length > before + 20, 30_000).catch(
      async (err) => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        const act = await c.query(
          `SELECT pid, datname, state, backend_xid::text, backend_xmin::text, xact_start, left(query, 100) q,
             pg_snapshot_xmin(pg_current_snapshot())::text AS xmin
           FROM pg_stat_activity WHERE backend_xid IS NOT NULL OR backend_xmin IS NOT NULL`,
        );
        const mx = await c.query('SELECT max(xid)::text FROM usage_events');
        await c.end();
        console.log(JSON.stringify(act.rows, null, 1), mx.rows);
        throw new Error(
          `${err.message}: printed ${printed().length} (before ${before}), stored ${(await storedIds()).length}, ` +
            `verified ${verified}, sdk ${JSON.stringify(verifier.stats())}\ntail stderr: ${tail.out.stderr}`,
        );
      },
    );
    running = false;
    await traffic;
    await verifier.flushUsage();
    const stored = await storedIds();
    // The tail started with the newest 20 stored events (its backlog): from the first it printed,
    // it must print exactly what is stored.
    const from = stored.indexOf(printed()[0]!.id);
    expect(from).toBeGreaterThanOrEqual(0);
    const expected = stored.slice(from);
    await waitFor('the tail to catch up', () => printed().length >= expected.length, 15_000).catch((err) => {
      const seen = new Set(printed().map((e) => e.id));
      const missing = expected.filter((id) => !seen.has(id));
      throw new Error(
        `${err.message}: printed ${seen.size} of ${expected.length}; missing ${missing.slice(0, 5)}`,
      );
    });
    await new Promise((r) => setTimeout(r, 1500)); // anything extra would show up now
    expect(await stop(tail.child, 'SIGINT')).toBe(0);
    // Read again once all is quiet: a report in flight when traffic stopped may have landed since.
    const final = (await storedIds()).slice(from);

    const ids = printed().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length); // none repeated
    expect(ids).toEqual(final); // none missing, in log order
    expect(printed().every((e) => e.type === 'verify' && e.keyId === reader.id)).toBe(true);
    expect(tail.out.stderr).toContain('Reconnected');
    expect(verified).toBeGreaterThan(ids.length / 2);
  });

  it('lists a window by time, human and --json; bad flags exit 2; another org sees nothing', async () => {
    const human = await as(['logs', '--env', 'production', '--since', '1h']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/verify\s+Reader/);
    expect(human.stdout).toMatch(/audit\s+api_key\.created\s+Reader/);
    const json = await as(['logs', '--env', 'production', '--type', 'audit', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.every((e) => e.type === 'audit')).toBe(true);
    expect(lines.map((e) => e.action)).toContain('manifest.pushed');
    expect(JSON.stringify(lines)).not.toContain(reader.token);
    const keyOnly = await as([
      'logs',
      '--env',
      'production',
      '--key',
      reader.id,
      '--type',
      'verify',
      '--json',
    ]);
    expect(keyOnly.stdout.trim().split('\n').length).toBeGreaterThan(20);

    const bad = await as(['logs', '--env', 'production', '--type', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('verify, denied');
    expect((await as(['logs', '--env', 'production', '--since', 'yesterday'])).code).toBe(2);

    const other = tempDir('logs-other');
    await deviceLogin(server.url, other.path, 'eve@example.com');
    const theirs = await latch(['logs', '--env', 'production', '--project', 'acme', '--tail'], {
      configDir: other.path,
    });
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toMatch(/not found|No project/i);
    other.remove();
  });
});
