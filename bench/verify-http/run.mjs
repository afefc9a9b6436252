#!/usr/bin/env node
// Verification API benchmark (issue 3), three measurements in one run on one machine:
//   (a) POST /api/v1/verify for a cached valid key vs a bare Fastify route answering the same
//       JSON, in the same server process, 50 connections: req/s, p99, ratio (target >= 85%).
//   (b) cache-miss verification (cache off) with 1,000,000 keys in PostgreSQL: p50/p99
//       (target p99 < 5 ms).
//   (c) key creation (each with its audit entry in one transaction) over HTTP, as a fraction of
//       raw single-row INSERT transactions per second on the same database.
//
//   node bench/verify-http/run.mjs      (or `npm run bench`)
//
// PostgreSQL: LATCH_BENCH_DATABASE_URL (a superuser URL), else the machine's at 127.0.0.1:5432,
// else an embedded one. A fresh database is made and dropped. BENCH_ROUNDS (default 15) and
// BENCH_ROUND_SECONDS (default 3) shape (a); BENCH_DURATION (seconds per run of (b) and (c),
// default 10) and BENCH_BULK_KEYS (default 1000000) shorten them for a quick look. BENCH_PARTS=a
// runs part (a) only and prints it without touching bench/RESULTS.md.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  adminQuery,
  benchDatabase,
  cpuMs,
  fmt,
  median,
  startTs,
  stopTs,
  writeResults,
} from '../lib/common.mjs';

const duration = Number(process.env.BENCH_DURATION) || 10;
const bulkKeys = Number(process.env.BENCH_BULK_KEYS) || 1_000_000;
const realKeys = 20_000;
const rounds = Number(process.env.BENCH_ROUNDS) || 15;
const roundSeconds = Number(process.env.BENCH_ROUND_SECONDS) || 3;
const onlyA = process.env.BENCH_PARTS === 'a';

// ---- server process ----

/** The benchmark server (server.ts) on `databaseUrl`, with its pid for the CPU-time readings. */
async function startServer(databaseUrl, env) {
  const server = await startTs('bench/verify-http/server.ts', {
    env: { DATABASE_URL: databaseUrl, BENCH_SEED: join(work, 'seed.json'), ...env },
    stdin: 'pipe',
  });
  return { ...server, pid: server.child.pid };
}

// ---- load ----

async function load(opts, pid) {
  const before = pid ? cpuMs(pid) : null;
  const result = await autocannon({ duration, ...opts });
  const after = pid ? cpuMs(pid) : null;
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0)
    throw new Error(
      `${opts.title ?? opts.url}: ${bad} failed requests (non-2xx ${result.non2xx}, errors ${result.errors})`,
    );
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    // Server CPU per request: far less sensitive than req/s to other work on a shared machine.
    cpuUs: before !== null && after !== null ? ((after - before) * 1000) / result.requests.total : null,
  };
}

const json = (token) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const cpu = (r) => (r.cpuUs === null ? 'n/a' : fmt(r.cpuUs, 1));

async function cachedVsBare(s) {
  const verify = {
    url: `${s.app}/api/v1/verify`,
    method: 'POST',
    headers: json(s.pat),
    body: JSON.stringify({ key: s.key }),
    connections: 50,
  };
  const targets = {
    bare: { ...verify, url: `${s.bare}/api/v1/verify` },
    inApp: { ...verify, url: s.inApp },
    verify,
  };
  for (const t of Object.values(targets)) await load({ ...t, duration: 3 });
  // This machine's speed drifts by tens of percent within a minute (a shared VM), so: many short
  // rounds, each running the three routes back to back in a rotating order, and the verdict is
  // the median of the per-round ratios; drift within a round hits all three alike.
  const runs = { bare: [], inApp: [], verify: [] };
  const names = Object.keys(targets);
  for (let i = 0; i < rounds; i++) {
    const order = names.map((_, j) => names[(i + j) % names.length]);
    for (const name of order)
      runs[name].push(await load({ ...targets[name], duration: roundSeconds }, s.pid));
  }
  const out = {};
  for (const [name, list] of Object.entries(runs)) {
    out[name] = {
      rps: median(list.map((r) => r.rps)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      cpuUs: list.every((r) => r.cpuUs !== null) ? median(list.map((r) => r.cpuUs)) : null,
    };
  }
  out.ratios = runs.verify.map((r, i) => [r.rps / runs.bare[i].rps, r.rps / runs.inApp[i].rps]);
  out.ratio = median(out.ratios.map(([x]) => x));
  out.ratioInApp = median(out.ratios.map(([, y]) => y));
  out.cpuRatios = runs.verify.every((r) => r.cpuUs !== null)
    ? [
        median(runs.verify.map((r, i) => runs.bare[i].cpuUs / r.cpuUs)),
        median(runs.verify.map((r, i) => runs.inApp[i].cpuUs / r.cpuUs)),
      ]
    : null;
  return out;
}

async function cacheMiss(s) {
  const tokens = JSON.parse(readFileSync(s.keysFile, 'utf8'));
  // A random key per request: no request can be answered from PostgreSQL's last look-up either.
  const request = {
    method: 'POST',
    path: '/api/v1/verify',
    headers: json(s.pat),
    setupRequest: (req) => ({
      ...req,
      body: JSON.stringify({ key: tokens[Math.floor(Math.random() * tokens.length)] }),
    }),
  };
  const sample = await fetch(`${s.app}/api/v1/verify`, {
    method: 'POST',
    headers: json(s.pat),
    body: JSON.stringify({ key: tokens[0] }),
  });
  const answer = await sample.json();
  if (answer.code !== 'VALID') throw new Error(`a bulk key does not verify: ${JSON.stringify(answer)}`);
  await load({ url: s.app, requests: [request], connections: 10, duration: 3 });
  const out = {};
  for (const connections of [1, 10, 50])
    out[connections] = await load({ url: s.app, requests: [request], connections });
  return out;
}

/** PostgreSQL's own time for the look-up, to tell the index apart from HTTP and round trips. */
async function lookupPlan(databaseUrl, keysFile) {
  const tokens = JSON.parse(readFileSync(keysFile, 'utf8'));
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const times = [];
    for (const token of tokens.slice(0, 200)) {
      const hash = createHash('sha256').update(token).digest();
      const { rows } = await c.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) SELECT k.id FROM api_keys k JOIN environments e ON e.id = k.environment_id
          WHERE k.key_hash = $1 OR k.previous_hash = $1 LIMIT 1`,
        [hash],
      );
      times.push(rows[0]['QUERY PLAN'][0]['Execution Time']);
    }
    times.sort((a, b) => a - b);
    return { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] };
  } finally {
    await c.end();
  }
}

async function creation(s, databaseUrl) {
  const body = JSON.stringify({ name: 'bench create', scope: 'read', environment: 'production' });
  const create = await load({
    url: `${s.app}/api/v1/orgs/${s.orgId}/projects/${s.projectId}/api-keys`,
    method: 'POST',
    headers: json(s.pat),
    body,
    connections: 10,
  });
  // The baseline: single-row INSERTs (each its own transaction) by 10 clients, like the server's pool.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bench_raw (id text PRIMARY KEY, key_hash bytea UNIQUE NOT NULL, data jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  const until = Date.now() + duration * 1000;
  let count = 0;
  const worker = async () => {
    while (Date.now() < until) {
      await pool.query('INSERT INTO bench_raw (id, key_hash, data) VALUES ($1, $2, $3)', [
        randomBytes(12).toString('hex'),
        randomBytes(32),
        '{"name":"bench"}',
      ]);
      count++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: 10 }, worker));
  const rawRps = count / ((Date.now() - started) / 1000);
  await pool.end();
  return { create, rawRps };
}

// ---- report ----

// ---- main ----

const day = new Date().toISOString().slice(0, 10);
const db = await benchDatabase('verify');
const { machine: machineText, work, admin, name: dbName, url: databaseUrl } = db;
let server;
try {
  console.log(`Database: fresh ${dbName} on ${admin.label}. ${duration} s per run.`);
  server = await startServer(databaseUrl, {});
  console.log('(a) cached verification vs bare Fastify, 50 connections…');
  const a = await cachedVsBare(server);
  // The verdict: the median over rounds of verify's req/s as a share of the baseline's in that round.
  const { ratio, ratioInApp } = a;
  console.log(
    `  bare Fastify instance  ${fmt(a.bare.rps)} req/s, p99 ${fmt(a.bare.p99, 1)} ms, ${cpu(a.bare)} µs CPU/req`,
  );
  console.log(
    `  bare route in the app  ${fmt(a.inApp.rps)} req/s, p99 ${fmt(a.inApp.p99, 1)} ms, ${cpu(a.inApp)} µs CPU/req`,
  );
  console.log(
    `  /api/v1/verify         ${fmt(a.verify.rps)} req/s, p99 ${fmt(a.verify.p99, 1)} ms, ${cpu(a.verify)} µs CPU/req`,
  );
  console.log(
    `  verify: ${fmt(ratio * 100, 1)}% of the bare instance, ${fmt(ratioInApp * 100, 1)}% of the bare route in the app (median of ${rounds} rounds; target ≥ 85%)`,
  );
  await stopTs(server);
  server = undefined;
  if (onlyA) {
    console.log(
      `  per round (vs bare, vs in-app): ${a.ratios.map(([x, y]) => `(${fmt(x * 100, 0)}%, ${fmt(y * 100, 0)}%)`).join(' ')}`,
    );
    if (a.cpuRatios)
      console.log(
        `  by CPU/request: ${fmt(a.cpuRatios[0] * 100, 0)}% of the bare instance, ${fmt(a.cpuRatios[1] * 100, 0)}% of the in-app bare route`,
      );
  } else {
    console.log(`(b) filling api_keys with ${fmt(bulkKeys)} keys, then cache-miss verification…`);
    const fillStart = Date.now();
    server = await startServer(databaseUrl, {
      BENCH_CACHE: '0',
      BENCH_BULK_KEYS: String(bulkKeys),
      BENCH_REAL_KEYS: String(realKeys),
    });
    console.log(`  filled in ${fmt((Date.now() - fillStart) / 1000, 1)} s`);
    const b = await cacheMiss(server);
    const plan = await lookupPlan(databaseUrl, server.keysFile);
    console.log(
      `  PostgreSQL execution time of the look-up: p50 ${fmt(plan.p50, 3)} ms, p99 ${fmt(plan.p99, 3)} ms`,
    );
    for (const [c, r] of Object.entries(b)) {
      console.log(`  ${c} connection(s): ${fmt(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
    }

    console.log('(c) key creation vs raw single-row INSERT transactions, 10 connections…');
    const c = await creation(server, databaseUrl);
    const createRatio = c.create.rps / c.rawRps;
    console.log(
      `  create over HTTP ${fmt(c.create.rps)} keys/s (p99 ${c.create.p99} ms); raw INSERT ${fmt(c.rawRps)} tx/s → ${fmt(createRatio * 100, 1)}%`,
    );
    await stopTs(server);
    server = undefined;

    const keysInDb = Number((await adminQuery(databaseUrl, 'SELECT count(*) AS n FROM api_keys')).rows[0].n);
    writeResults(
      'verify-http',
      [
        '## verify-http',
        '',
        `${day}, ${machineText}; ${admin.label} (fresh database), autocannon 8, ${duration} s per run after a 3 s warm-up; the load generator and the server share the machine.`,
        '',
        `**(a) Cached verification vs a bare Fastify route** answering the same JSON, all in one server process, 50 connections. ${rounds} rounds, each running the three routes for ${roundSeconds} s back to back in a rotating order; the ratio is the median over rounds of verify's req/s as a share of the baseline's in the same round (this machine's speed drifts by tens of percent within a minute, and drift within a round hits all three alike). Target: ≥ 85%. Two baselines: a bare Fastify instance (no plugins, no hooks), and the same bare route registered inside the Latchkey app, behind the guard every route has (request id, per-address rate limit and its RateLimit field).`,
        '',
        '| route | req/s (median) | p50 ms | p99 ms | server CPU µs/request | verify as % of it (median of rounds) |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        `| bare Fastify instance, \`POST\` returning the answer | ${fmt(a.bare.rps)} | ${fmt(a.bare.p50, 1)} | ${fmt(a.bare.p99, 1)} | ${cpu(a.bare)} | **${fmt(ratio * 100, 1)}%** |`,
        `| the same bare route inside the Latchkey app | ${fmt(a.inApp.rps)} | ${fmt(a.inApp.p50, 1)} | ${fmt(a.inApp.p99, 1)} | ${cpu(a.inApp)} | **${fmt(ratioInApp * 100, 1)}%** |`,
        `| \`POST /api/v1/verify\` (PAT caller, cached key) | ${fmt(a.verify.rps)} | ${fmt(a.verify.p50, 1)} | ${fmt(a.verify.p99, 1)} | ${cpu(a.verify)} | |`,
        '',
        `Per round, verify as % of (bare instance, bare route in the app): ${a.ratios.map(([x, y]) => `(${fmt(x * 100, 0)}%, ${fmt(y * 100, 0)}%)`).join(' ')}.`,
        ...(a.cpuRatios
          ? [
              '',
              `By server CPU per request, verify costs ${fmt(a.verify.cpuUs, 1)} µs (median): per CPU second it could serve ${fmt(a.cpuRatios[0] * 100, 0)}% of the bare instance's and ${fmt(a.cpuRatios[1] * 100, 0)}% of the in-app bare route's requests (medians of per-round ratios).`,
            ]
          : []),
        '',
        `**(b) Cache-miss verification** (verification cache off) with ${fmt(keysInDb)} keys in \`api_keys\`; each request verifies a random one of ${fmt(realKeys)} real keys. Target: p99 < 5 ms.`,
        '',
        '| connections | req/s | p50 ms | p99 ms |',
        '| ---: | ---: | ---: | ---: |',
        ...Object.entries(b).map(([conn, r]) => `| ${conn} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} |`),
        '',
        `The look-up itself (EXPLAIN ANALYZE of the key-by-hash query over 200 keys): p50 ${fmt(plan.p50, 3)} ms, p99 ${fmt(plan.p99, 3)} ms inside PostgreSQL. Latencies are autocannon's, whole milliseconds.`,
        '',
        '**(c) Key creation** over HTTP (`POST …/api-keys`: auth, project, environment and manifest look-ups, then key + audit entry in one transaction) vs raw single-row `INSERT` transactions on the same database, 10 connections each.',
        '',
        '| what | per second | p99 ms |',
        '| --- | ---: | ---: |',
        `| key creation | ${fmt(c.create.rps)} | ${fmt(c.create.p99, 1)} |`,
        `| raw single-row INSERT | ${fmt(c.rawRps)} | |`,
        `| **ratio** | **${fmt(createRatio * 100, 1)}%** | |`,
        '',
      ].join('\n'),
    );
  }
} finally {
  if (server) await stopTs(server);
  await db.cleanUp();
}
