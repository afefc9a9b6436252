// Crash safety (issue 16 item 4): the real server process is killed with SIGKILL five times while
// four writers create API keys, set secrets, deploy and enqueue effects over HTTP. Afterwards every
// write the server acknowledged (a 2xx answer) is in the database with its audit row, no key,
// secret version or release exists without one, `latch audit verify` passes through the real
// binary and every acknowledged effect is delivered.
//
// It runs on a loaded machine next to other test files: readiness is polled on /health, each kill
// waits for writes to have been acknowledged since the last start, and nothing is timed.
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../packages/server/src/store/test-database.js';
import { startReceiver } from '../../packages/server/test/helpers/webhook-receiver.js';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

const KILLS = 5;
const WRITERS = 4;
/** Writes acknowledged since the last (re)start before the next kill: the kill lands mid-stream. */
const WRITES_BEFORE_KILL = 12;

let server: RunningServer;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let rx: Awaited<ReturnType<typeof startReceiver>>;
let db: pg.Client;
let port: number;
const home = tempDir('crash-owner');
const data = tempDir('crash-data');
// A short attempt timeout keeps an effect's lease short, so a restarted node takes over the
// attempts a killed one held within seconds.
const env: Record<string, string> = { LATCH_EFFECTS_TIMEOUT_SECONDS: '2', LATCH_EFFECTS_CONCURRENCY: '4' };
const run = (args: string[]) => latch(args, { configDir: home.path, timeoutMs: 120_000 });

/** A free port, so every restart listens where the writers and the CLI already point. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 && (await res.json()).database === 'ok';
  } catch {
    return false;
  }
}

/** Starts the node on the fixed port and waits until /health says it and its database are up. */
async function startNode() {
  server = await startServer({
    dataDir: data.path,
    env: { ...env, LATCH_PORT: String(port) },
    startTimeoutMs: 240_000,
  });
  expect(server.url).toBe(`http://127.0.0.1:${port}`);
  await waitFor('the node to be healthy', () => healthy(server.url), 120_000);
}

beforeAll(async () => {
  rx = await startReceiver();
  database = await createTestDatabase(inject('adminUrl'));
  env.LATCH_DATABASE_URL = database.url;
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
  port = await freePort();
  await startNode();
  await deviceLogin(server.url, home.path, 'crash@example.com');
  for (const args of [
    ['org', 'create', 'Crashco', '--use'],
    ['projects', 'create', 'shop'],
    ['env', 'create', 'production', '--project', 'shop'],
  ]) {
    const res = await run(args);
    expect(res.code, res.stderr).toBe(0);
  }
}, 600_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await db?.end();
  await rx?.close();
  await database?.drop();
  home.remove();
  data.remove();
}, 120_000);

type Acked = {
  keys: string[];
  secrets: { name: string; version: number }[];
  releases: { id: string; number: number }[];
  effects: { id: string; n: number }[];
};

describe('kill -9 during mixed writes', () => {
  it(
    `loses no acknowledged write over ${KILLS} kills: all present, all audited, chain intact, every effect delivered`,
    async () => {
      const key = await run([
        'keys',
        'create',
        'crash-writer',
        '-s',
        'api_keys:write,secrets:write,deploy:write,effects:write',
      ]);
      expect(key.code, key.stderr).toBe(0);
      const token = key.stdout.trim();
      const orgs = (await run(['org', 'list', '--json'])).json() as { id: string; name: string }[];
      const org = orgs.find((o) => o.name === 'Crashco')!.id;
      const base = `http://127.0.0.1:${port}/api/v1/orgs/${org}/projects/shop`;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

      // The first release carries the manifest that declares the keys' scope.
      const first = await fetch(`${base}/environments/production/deploy`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          message: 'scopes',
          manifest: { project: 'shop', apiKeys: { scopes: { read: { grants: { Task: ['read'] } } } } },
        }),
      });
      expect(first.status, await first.clone().text()).toBe(201);

      const acked: Acked = { keys: [], secrets: [], releases: [], effects: [] };
      let ackedSinceStart = 0;
      let writing = true;
      let sent = 0;
      let refused = 0;
      // One write of the kind its turn names; only a 2xx answer counts as acknowledged.
      const write = async (worker: number, i: number) => {
        const n = worker * 1_000_000 + i;
        const kind = (worker + i) % 4;
        const post = async (path: string, body: unknown, method = 'POST') => {
          const res = await fetch(`${base}${path}`, {
            method,
            headers,
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          });
          if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 409)
            throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
          return res;
        };
        sent++;
        if (kind === 0) {
          const res = await post('/api-keys', {
            name: `crash ${n}`,
            scope: 'read',
            environment: 'production',
          });
          if (res.status !== 201) return res.status;
          acked.keys.push((await res.json()).id);
        } else if (kind === 1) {
          const name = `CRASH_${worker}_${i}`;
          const res = await post(`/environments/production/secrets/${name}`, { value: `v${n}` }, 'PUT');
          if (res.status !== 200) return res.status;
          acked.secrets.push({ name, version: (await res.json()).version });
        } else if (kind === 2) {
          const res = await post('/environments/production/deploy', { message: `crash ${n}` });
          if (res.status !== 201) return res.status;
          const body = await res.json();
          acked.releases.push({ id: body.id, number: body.number });
        } else {
          const res = await post('/effects', {
            url: rx.url('/crash'),
            payload: { n },
            idempotencyKey: `crash-${n}`,
          });
          if (res.status !== 202) return res.status;
          acked.effects.push({ id: (await res.json()).id, n });
        }
        ackedSinceStart++;
        return 200;
      };
      const writer = async (worker: number) => {
        for (let i = 0; writing; i++) {
          // Refused connections while the node is down, 503s while it starts: not acknowledged.
          const status = await write(worker, i).catch((err: Error) => {
            if (err.message.includes(' answered ')) throw err;
            return 0;
          });
          // A 429 (the credential's limit) or a 409 (two deploys at once) is an answer, not an
          // acknowledgement: back off and go on.
          if (status === 0 || status >= 500 || status === 429 || status === 409) {
            refused++;
            await new Promise((r) => setTimeout(r, 100));
          } else if (status >= 400) throw new Error(`write ${worker}/${i} answered ${status}`);
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));

      for (let kill = 0; kill < KILLS; kill++) {
        ackedSinceStart = 0;
        await waitFor('writes to be acknowledged', () => ackedSinceStart >= WRITES_BEFORE_KILL, 180_000);
        expect(await server.stop('SIGKILL')).toBe(null); // killed by the signal, not exited
        await startNode();
      }
      ackedSinceStart = 0;
      await waitFor('writes after the last restart', () => ackedSinceStart >= WRITES_BEFORE_KILL, 180_000);
      writing = false;
      await Promise.all(writers);
      console.log(
        `crash test: ${sent} writes sent, ${refused} refused or cut off, acknowledged ${acked.keys.length} keys, ${acked.secrets.length} secret versions, ${acked.releases.length} releases, ${acked.effects.length} effects`,
      );
      for (const list of Object.values(acked)) expect(list.length).toBeGreaterThan(0);

      // Every acknowledged write is there.
      const keyRows = await db.query('SELECT id FROM api_keys WHERE org_id = $1', [org]);
      const keyIds = new Set(keyRows.rows.map((r) => r.id));
      expect(acked.keys.filter((id) => !keyIds.has(id))).toEqual([]);
      const secretRows = await db.query(
        `SELECT s.name, s.version, s.environment_id FROM secret_versions s WHERE s.org_id = $1`,
        [org],
      );
      const versions = new Set(secretRows.rows.map((r) => `${r.name}@${r.version}`));
      expect(acked.secrets.filter((s) => !versions.has(`${s.name}@${s.version}`))).toEqual([]);
      const releaseRows = await db.query('SELECT id, number FROM releases WHERE org_id = $1', [org]);
      const releases = new Map(releaseRows.rows.map((r) => [r.id, r.number]));
      expect(acked.releases.filter((r) => releases.get(r.id) !== r.number)).toEqual([]);
      const effectRows = await db.query('SELECT id FROM effects WHERE org_id = $1', [org]);
      const effectIds = new Set(effectRows.rows.map((r) => r.id));
      expect(acked.effects.filter((e) => !effectIds.has(e.id))).toEqual([]);

      // No write without its audit row: checked for every row in the tables, acknowledged or not
      // (a write whose answer the kill cut off may have committed, and then needs its row too).
      const audit = await db.query('SELECT action, target_id FROM audit_events WHERE org_id = $1', [org]);
      const audited = new Set(audit.rows.map((r) => `${r.action} ${r.target_id}`));
      expect([...keyIds].filter((id) => !audited.has(`api_key.created ${id}`))).toEqual([]);
      const envId = secretRows.rows[0]!.environment_id;
      const secretAudit = await db.query(
        `SELECT data->>'name' AS name, (data->>'version')::int AS version FROM audit_events
          WHERE org_id = $1 AND action = 'secret.set'`,
        [org],
      );
      const auditedVersions = new Set(secretAudit.rows.map((r) => `${r.name}@${r.version}`));
      expect([...versions].filter((v) => !auditedVersions.has(v))).toEqual([]);
      expect(
        secretRows.rows.filter((r) => !audited.has(`secret.set ${envId}:${r.name}`)).map((r) => r.name),
      ).toEqual([]);
      expect([...releases.keys()].filter((id) => !audited.has(`release.created ${id}`))).toEqual([]);

      // The chain survived five kills mid-append.
      const verified = await run(['audit', 'verify', '--json']);
      expect(verified.code, verified.stderr + verified.stdout).toBe(0);
      expect(verified.json()).toMatchObject({ ok: true });
      expect(verified.json().rows).toBeGreaterThanOrEqual(audit.rows.length);

      // Every acknowledged effect arrives (at least once: a kill mid-attempt may repeat one).
      const delivered = () => new Set(rx.at('/crash').map((r) => JSON.parse(r.body).n));
      await waitFor(
        'every acknowledged effect to be delivered',
        () => {
          const seen = delivered();
          return acked.effects.every((e) => seen.has(e.n));
        },
        180_000,
      );
      const states = await db.query(
        'SELECT state, count(*)::int AS n FROM effects WHERE org_id = $1 AND kind = $2 GROUP BY state',
        [org, 'app'],
      );
      expect(states.rows.filter((r) => r.state === 'dead' || r.state === 'cancelled')).toEqual([]);
    },
    25 * 60_000,
  );
});
