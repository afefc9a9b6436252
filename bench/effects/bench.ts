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
import type pg from 'pg';
import { buildApp } from '../../packages/server/src/app.js';
import { CLAIM_PLAN, CLAIM_SQL } from '../../packages/server/src/services/effects/queue.js';
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
function post(url: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
async function bareRound(): Promise<number> {
  await stats();
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        next++;
        await post(`${rxUrl}/bare`, JSON.stringify({ n: next, data: { hello: 'world' } }));
      }
    }),
  );
  const rate = N / ((performance.now() - t) / 1000);
  const got = await stats();
  if (got.count !== N) throw new Error(`bare: ${got.count} of ${N} arrived`);
  return rate;
}

// Where the worker's time goes: its claims and recorded batches, counted and timed on the pool.
type Tally = { n: number; rows: number; ms: number };
const tally = () => ({ claim: { n: 0, rows: 0, ms: 0 } as Tally, finish: { n: 0, rows: 0, ms: 0 } as Tally });
let db = tally();
const query = database.pool.query.bind(database.pool) as (
  text: unknown,
  values?: unknown[],
) => Promise<pg.QueryResult>;
database.pool.query = (async (arg: unknown, params?: unknown[]) => {
  // The worker's statements are named (prepared) query configs.
  const config =
    typeof arg === 'object' && arg !== null ? (arg as { text: string; values?: unknown[] }) : null;
  const text = config ? config.text : arg;
  const values = config ? config.values : params;
  const kind =
    text === CLAIM_SQL
      ? 'claim'
      : typeof text === 'string' && text.includes('INSERT INTO effect_attempts')
        ? 'finish'
        : null;
  if (!kind) return query(arg, params);
  const t = performance.now();
  const res = await query(arg, params);
  const s = db[kind];
  s.n++;
  s.ms += performance.now() - t;
  s.rows += kind === 'claim' ? (res.rowCount ?? 0) : ((values?.[1] as unknown[] | undefined)?.length ?? 0);
  return res;
}) as typeof database.pool.query;
const perRound: { claims: Tally; finishes: Tally; seconds: number }[] = [];

// (a) effects: N enqueued (through the service, as the API does) while the worker is stopped, then
// the worker delivers them all; done when it has recorded N deliveries (told by its observer, so
// the measurement adds no polling query).
let delivered = 0;
let failed = 0;
let reached: (() => void) | null = null;
let target = 0;
let claimPlan: string[] | null = null;
worker.onAttempt(({ outcome }) => {
  if (outcome === 'delivered') delivered++;
  else failed++;
  if (delivered >= target) reached?.();
});
async function effectsRound(): Promise<number> {
  for (let i = 0; i < N; i++) {
    await app.services.effects.enqueue(actor, project.id, {
      url: `${rxUrl}/fx`,
      payload: { n: i, data: { hello: 'world' } },
    });
  }
  await stats();
  if (!claimPlan) {
    // How the claim reads a backlog of N: executed, then rolled back.
    const c = await database.pool.connect();
    try {
      await c.query('BEGIN');
      for (const setting of CLAIM_PLAN.settings) await c.query(setting);
      const now = new Date();
      const res = await c.query(`EXPLAIN (ANALYZE, COSTS OFF) ${CLAIM_PLAN.sql}`, [
        now,
        CONCURRENCY,
        'node_explain',
        now,
      ]);
      claimPlan = res.rows.map((r) => r['QUERY PLAN'] as string);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  }
  target = delivered + N;
  db = tally();
  const all = new Promise<void>((r) => {
    reached = r;
  });
  const t = performance.now();
  worker.start();
  await Promise.race([
    all,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`effects: ${delivered} of ${target} delivered`)), 300_000),
    ),
  ]);
  const seconds = (performance.now() - t) / 1000;
  const rate = N / seconds;
  perRound.push({ claims: db.claim, finishes: db.finish, seconds });
  await worker.stop();
  const got = await stats();
  if (got.count < N) throw new Error(`effects: ${got.count} of ${N} arrived`);
  return rate;
}
// Interleaved, so both see the same machine: bare, effects, bare, effects, ...
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 3;
const bareRates: number[] = [];
const effectRates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  bareRates.push(await bareRound());
  effectRates.push(await effectsRound());
}

// (b) 100 deliveries/s for 10 s, each enqueued over HTTP (keep-alive, as an app's client would);
// the receiver times enqueue → arrival. A 2 s warm-up at the same rate is not counted.
const RATE = 100;
const SECONDS = Number(process.env.BENCH_SECONDS) || 10;
const enqueueAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
async function atRate(seconds: number, path: string) {
  const start = performance.now();
  const sent: Promise<void>[] = [];
  const enqueueMs: number[] = [];
  let errors = 0;
  for (let i = 0; i < RATE * seconds; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.timeOrigin + performance.now();
    const body = JSON.stringify({ url: `${rxUrl}${path}`, payload: { t0 } });
    sent.push(
      new Promise<void>((resolve) => {
        const req = http.request(
          `${base}/api/v1/orgs/${orgId}/projects/bench/effects`,
          {
            method: 'POST',
            agent: enqueueAgent,
            headers: {
              authorization: `Bearer ${pat}`,
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(body)),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode === 202) enqueueMs.push(performance.timeOrigin + performance.now() - t0);
              else errors++;
              resolve();
            });
          },
        );
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(sent);
  return { enqueueMs, errors, sent: RATE * seconds };
}
worker.start();
await atRate(2, '/warm');
await new Promise((r) => setTimeout(r, 500));
await stats();
// Requests waiting for one of the pool's 20 connections (sampled every 50 ms): a slow database
// shows here first.
let poolWaitingMax = 0;
let poolWaitingSum = 0;
let poolSamples = 0;
const sampler = setInterval(() => {
  poolWaitingMax = Math.max(poolWaitingMax, database.pool.waitingCount);
  poolWaitingSum += database.pool.waitingCount;
  poolSamples++;
}, 50);
const measured = await atRate(SECONDS, '/rate');
clearInterval(sampler);
await new Promise((r) => setTimeout(r, 1000));
const rate = await stats();
await worker.stop();
// The server's own view of the same deliveries: enqueue committed → attempt recorded.
const serverSide = await database.db.execute(sql`
  SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
  FROM (SELECT extract(epoch FROM delivered_at - created_at) * 1000 AS ms FROM effects WHERE url LIKE '%/rate') x`);

// (c) PUT a secret, sequentially, with no endpoint vs one subscribed to secret.changed (the worker
// stopped: the enqueue is measured, not the delivery). Many short rounds in ABBA order (each half
// a group of REQUESTS / 5 after a short warm-up), so a drift in the shared machine's load within
// the run hits both alike: 4 long blocks, as before, let one block's load decide the ratio.
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
const C_ROUNDS = 20;
const GROUP = Math.max(10, Math.round((REQUESTS * 4) / C_ROUNDS));
const plainMs: number[] = [];
const withMs: number[] = [];
let endpointId: string | null = null;
let seq = 0;
for (let round = 0; round < C_ROUNDS; round++) {
  for (const withEndpoint of round % 2 === 0 ? [false, true] : [true, false]) {
    if (withEndpoint && !endpointId) {
      endpointId = (
        await app.services.webhooks.create(actor, { url: `${rxUrl}/secrets`, events: ['secret.changed'] })
      ).id;
    }
    await database.db.execute(sql`UPDATE webhook_endpoints SET enabled = ${withEndpoint}`);
    for (let i = 0; i < 5; i++) await put(seq++); // warm
    const t = performance.now();
    for (let i = 0; i < GROUP; i++) await put(seq++);
    (withEndpoint ? withMs : plainMs).push((performance.now() - t) / GROUP);
  }
}
const enqueued = await database.db.execute(
  sql`SELECT count(*)::int AS n FROM effects WHERE event_type = 'secret.changed'`,
);

const median = (xs: number[]) => pct(xs, 50);
const ratios = effectRates.map((e, i) => e / bareRates[i]!);
console.log(
  `RESULT ${JSON.stringify({
    n: N,
    rounds: ROUNDS,
    concurrency: CONCURRENCY,
    bareRates,
    effectRates,
    ratios,
    bareRate: median(bareRates),
    effectRate: median(effectRates),
    ratio: median(ratios),
    failedAttempts: failed,
    rateCount: rate.count,
    rateSent: measured.sent - measured.errors,
    enqueueErrors: measured.errors,
    p50: pct(rate.latencies, 50),
    p99: pct(rate.latencies, 99),
    max: Math.max(...rate.latencies),
    enqueueP50: pct(measured.enqueueMs, 50),
    enqueueP99: pct(measured.enqueueMs, 99),
    serverP50: Number(serverSide.rows[0]!.p50),
    serverP99: Number(serverSide.rows[0]!.p99),
    plainMs: median(plainMs),
    withMs: median(withMs),
    plainRounds: plainMs,
    withRounds: withMs,
    cGroup: GROUP,
    pairedOverhead: median(withMs.map((w, i) => w / plainMs[i]! - 1)),
    enqueuedEvents: enqueued.rows[0]!.n,
    claimPlan,
    perRound,
    poolWaitingMax,
    poolWaitingMean: poolWaitingSum / Math.max(1, poolSamples),
  })}`,
);
receiver.kill();
await app.close();
await database.close();
process.exit(0);
