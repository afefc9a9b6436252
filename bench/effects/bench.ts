/**
 * The effects benchmark's measuring process (run.mjs starts it with tsx on a fresh database):
 *   (a) deliveries per second end to end (enqueued, claimed, POSTed, recorded) vs the same number
 *       of bare POSTs from this process to the same receiver, same concurrency and keep-alive;
 *   (b) enqueue → delivery latency at 100 deliveries/s (p50/p99), timed by the receiver;
 *   (c) a state-changing request (`PUT …/secrets/:name`) with one subscribed webhook endpoint
 *       (its secret.changed event enqueued in the same transaction) vs with none.
 * Prints `RESULT <json>`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../packages/server/src/app.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';
import { benchConfig, seedOwner } from '../lib/app.js';

const N = Number(process.env.BENCH_DELIVERIES) || 3000;
const CONCURRENCY = 32;
const database = openDatabase(process.env.DATABASE_URL!, { max: 20 });
await migrate(database.pool);
const receiver: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'receiver.mjs')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const rxUrl = await new Promise<string>((resolve) => {
  receiver.stdout!.on('data', (d) => {
    const m = /RECEIVER (\S+)/.exec(String(d));
    if (m) resolve(m[1]!);
  });
});
const stats = async () => (await (await fetch(rxUrl)).json()) as { count: number; latencies: number[] };

const app = await buildApp({
  database,
  config: benchConfig({
    masterKey: randomBytes(32),
    effects: { worker: false, concurrency: CONCURRENCY, allowPrivate: true },
  }),
});
const { pat, orgId, actor, project } = await seedOwner(app, database, { project: 'bench' });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const worker = app.services.effectsWorker;
const pct = (xs: number[], p: number) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))] ?? Number.NaN;
};

// (a) baseline: bare POSTs, CONCURRENCY at a time, keep-alive.
const agent = new http.Agent({ keepAlive: true });
function post(body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${rxUrl}/bare`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
await stats();
let t = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) {
      next++;
      await post(JSON.stringify({ n: next, data: { hello: 'world' } }));
    }
  }),
);
const bareSeconds = (performance.now() - t) / 1000;
await stats();

// (a) effects: N enqueued (through the service, as the API does), then the worker delivers them all.
for (let i = 0; i < N; i++) {
  await app.services.effects.enqueue(actor, project.id, {
    url: `${rxUrl}/fx`,
    payload: { n: i, data: { hello: 'world' } },
  });
}
t = performance.now();
worker.start();
for (;;) {
  const r = await database.db.execute(sql`SELECT count(*)::int AS n FROM effects WHERE state <> 'delivered'`);
  if ((r.rows[0]!.n as number) === 0) break;
  await new Promise((r) => setTimeout(r, 5));
}
const effectSeconds = (performance.now() - t) / 1000;
await stats();

// (b) 100 deliveries/s for 10 s, each enqueued over HTTP; the receiver times enqueue → arrival.
const RATE = 100;
const SECONDS = Number(process.env.BENCH_SECONDS) || 10;
const start = performance.now();
const sent: Promise<unknown>[] = [];
let enqueueErrors = 0;
for (let i = 0; i < RATE * SECONDS; i++) {
  const due = start + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  sent.push(
    fetch(`${base}/api/v1/orgs/${orgId}/projects/bench/effects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pat}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `${rxUrl}/rate`,
        payload: { t0: performance.timeOrigin + performance.now() },
      }),
    }).catch(() => {
      enqueueErrors++;
    }),
  );
}
await Promise.all(sent);
await new Promise((r) => setTimeout(r, 1000));
const rate = await stats();
await worker.stop();

// (c) PUT a secret, sequentially, with no endpoint vs one subscribed to secret.changed; alternating rounds.
const put = async (i: number) => {
  const res = await fetch(
    `${base}/api/v1/orgs/${orgId}/projects/bench/environments/production/secrets/API_TOKEN`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${pat}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: `v${i}` }),
    },
  );
  if (res.status !== 200) throw new Error(`PUT answered ${res.status}`);
};
const REQUESTS = Number(process.env.BENCH_REQUESTS) || 300;
const plainMs: number[] = [];
const withMs: number[] = [];
let endpointId: string | null = null;
for (let round = 0; round < 4; round++) {
  for (const withEndpoint of [false, true]) {
    if (withEndpoint && !endpointId) {
      endpointId = (
        await app.services.webhooks.create(actor, { url: `${rxUrl}/secrets`, events: ['secret.changed'] })
      ).id;
    }
    await database.db.execute(sql`UPDATE webhook_endpoints SET enabled = ${withEndpoint}`);
    for (let i = 0; i < 20; i++) await put(i); // warm
    t = performance.now();
    for (let i = 0; i < REQUESTS; i++) await put(i);
    (withEndpoint ? withMs : plainMs).push((performance.now() - t) / REQUESTS);
  }
}
const enqueued = await database.db.execute(
  sql`SELECT count(*)::int AS n FROM effects WHERE event_type = 'secret.changed'`,
);
const median = (xs: number[]) => pct(xs, 50);

console.log(
  `RESULT ${JSON.stringify({
    n: N,
    concurrency: CONCURRENCY,
    bareRate: N / bareSeconds,
    effectRate: N / effectSeconds,
    rateCount: rate.count,
    rateSent: RATE * SECONDS - enqueueErrors,
    enqueueErrors,
    p50: pct(rate.latencies, 50),
    p99: pct(rate.latencies, 99),
    max: Math.max(...rate.latencies),
    plainMs: median(plainMs),
    withMs: median(withMs),
    enqueuedEvents: enqueued.rows[0]!.n,
  })}`,
);
receiver.kill();
await app.close();
await database.close();
process.exit(0);
