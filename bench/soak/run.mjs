#!/usr/bin/env node
// Soak (issue 16 item 5): a real Latchkey server process and a real SDK-guarded app process on a
// fresh database, driven for SOAK_MINUTES (default 30) with cached verifications at half of a
// short measured maximum, on two paths at once:
//   app      GET /v1/projects on the app, guarded by apiKey:read (the SDK's in-process cache)
//   server   POST /api/v1/verify on the server (its verification cache)
// Every 10 s it samples the RSS and open file descriptors (/proc/<pid>/fd) of both processes, the
// database's PostgreSQL connections (pg_stat_activity) and each path's p99 over the window.
// Targets, judged after the warm-up (the first 20% of the run, at most 8 minutes: a 30-minute run
// on 2026-12-07 showed the server's heap settling only 6-8 minutes in, then flat for 22 minutes):
//   RSS growth < 10%     median of the last 3 samples vs median of the first 3 after warm-up
//   p99 within 2x        median p99 of the last third of the windows vs the first third
//   no fd or connection growth   the highest of the last third <= the highest of the first half
//                        after warm-up (a pool opens and reaps idle connections; a leak climbs)
//
//   node bench/soak/run.mjs          (SOAK_MINUTES=1 for a quick look)
//
// PostgreSQL as in the other benchmarks (LATCH_BENCH_DATABASE_URL, else 127.0.0.1:5432, else
// embedded). Runs of 30 minutes or more (or SOAK_RECORD=1) write the samples to
// bench/soak/samples.json and the verdicts to the soak section of bench/RESULTS.md; shorter ones
// write the samples to $TMPDIR/latch-soak-samples.json. SOAK_OUT names another samples file.
// Exits non-zero when a target is missed.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { benchDatabase, fmt, median, root, startTs, stopTs, writeResults } from '../lib/common.mjs';

const minutes = Number(process.env.SOAK_MINUTES) || 30;
const SAMPLE_MS = 10_000;
const MEASURE_S = 15;
const CONNECTIONS = 20;
const record = minutes >= 30 || process.env.SOAK_RECORD === '1';
const out =
  process.env.SOAK_OUT ||
  (record ? join(root, 'bench/soak/samples.json') : join(tmpdir(), 'latch-soak-samples.json'));
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

/** Runs a TypeScript file of bench/ (startTs): from the sources with `source`, else the built SDK. */
const start = (file, env, source = false) => startTs(`bench/${file}`, { env, source });

/** Resident set size in MiB, from /proc (what the kernel charges the process, heap or not). */
function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}
const fdCount = (pid) => readdirSync(`/proc/${pid}/fd`).length;

/**
 * One open-ended autocannon run per path. Latencies are collected per sampling window from the
 * `response` events (autocannon's own histogram covers only the whole run).
 */
function drive(target, rate) {
  const window = { latencies: [], bad: 0 };
  const instance = autocannon({
    ...target,
    connections: CONNECTIONS,
    duration: minutes * 60 + 3600, // stopped by us
    ...(rate ? { overallRate: rate } : {}),
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) window.latencies.push(ms);
    else window.bad++;
  });
  instance.on('reqError', () => {
    window.bad++;
  });
  const done = new Promise((resolve) => instance.on('done', resolve));
  return {
    /** The window since the last take: request count, p99 ms, failed requests. */
    take() {
      const sorted = window.latencies.splice(0).sort((a, b) => a - b);
      const bad = window.bad;
      window.bad = 0;
      return { count: sorted.length, p99: sorted.length ? quantile(sorted, 0.99) : Number.NaN, bad };
    },
    async stop() {
      instance.stop();
      return done;
    },
  };
}

async function createKey(s) {
  const res = await fetch(`${s.url}/api/v1/orgs/${s.orgId}/projects/bench/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.platformKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'soak', scope: 'read', environment: 'production' }),
  });
  if (res.status !== 201) throw new Error(`create key: ${await res.text()}`);
  return res.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Judges the samples against the targets; returns one verdict line per target. */
function judge(samples, warmupMs) {
  const after = samples.filter((s) => s.t >= warmupMs);
  const third = Math.max(1, Math.floor(after.length / 3));
  const first = after.slice(0, third);
  const last = after.slice(-third);
  const firstHalf = after.slice(0, Math.max(1, Math.ceil(after.length / 2)));
  const head3 = after.slice(0, 3);
  const tail3 = after.slice(-3);
  const verdicts = [];
  for (const proc of ['server', 'app']) {
    const startRss = median(head3.map((s) => s[proc].rss));
    const endRss = median(tail3.map((s) => s[proc].rss));
    const growth = endRss / startRss - 1;
    verdicts.push({
      target: `${proc} RSS growth < 10%`,
      value: `${fmt(startRss, 1)} → ${fmt(endRss, 1)} MiB (${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)}%)`,
      pass: growth < 0.1,
    });
    const fdMax = Math.max(...firstHalf.map((s) => s[proc].fds));
    const fdEnd = Math.max(...last.map((s) => s[proc].fds));
    verdicts.push({
      target: `${proc} no fd growth`,
      value: `${fmt(Math.min(...firstHalf.map((s) => s[proc].fds)))}–${fmt(fdMax)} in the first half, at most ${fmt(fdEnd)} in the last third`,
      pass: fdEnd <= fdMax,
    });
  }
  const connMax = Math.max(...firstHalf.map((s) => s.pgConnections));
  const connEnd = Math.max(...last.map((s) => s.pgConnections));
  verdicts.push({
    target: 'no PostgreSQL connection growth',
    value: `${fmt(Math.min(...firstHalf.map((s) => s.pgConnections)))}–${fmt(connMax)} in the first half, at most ${fmt(connEnd)} in the last third`,
    pass: connEnd <= connMax,
  });
  for (const path of ['app', 'server']) {
    const early = median(first.map((s) => s[path].p99));
    const late = median(last.map((s) => s[path].p99));
    const worst = Math.max(...after.map((s) => s[path].p99));
    verdicts.push({
      target: `${path} p99 within 2×`,
      value: `${fmt(early, 1)} → ${fmt(late, 1)} ms (×${fmt(late / early, 2)}; worst window ${fmt(worst)} ms)`,
      pass: late <= 2 * early,
    });
  }
  const failed = after.reduce((n, s) => n + s.app.bad + s.server.bad, 0);
  verdicts.push({ target: 'no failed request', value: fmt(failed), pass: failed === 0 });
  return verdicts;
}

const startedAt = new Date();
const db = await benchDatabase('soak');
const { machine: machineText, admin, name: dbName, url: databaseUrl } = db;
let server;
let app;
const drivers = [];
const monitor = new pg.Client({ connectionString: admin.url });
let exitCode = 0;
try {
  // The sdk-verify benchmark's processes: the real app from sources (limits raised so they
  // measure the work, not the limiter) and a Fastify app on the built SDK, as an app runs it.
  server = await start('sdk-verify/server.ts', { DATABASE_URL: databaseUrl }, true);
  const key = await createKey(server);
  app = await start('sdk-verify/app.ts', { LATCH_API_URL: server.url, LATCH_TOKEN: server.platformKey });
  await monitor.connect();
  const targets = {
    app: { url: `${app.guarded}/v1/projects`, headers: { authorization: `Bearer ${key.token}` } },
    server: {
      url: `${server.url}/api/v1/verify`,
      method: 'POST',
      headers: { authorization: `Bearer ${server.pat}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: key.token }),
    },
  };
  for (const t of Object.values(targets)) {
    const res = await fetch(t.url, { method: t.method ?? 'GET', headers: t.headers, body: t.body });
    if (res.status !== 200) throw new Error(`${t.url} answered ${res.status}: ${await res.text()}`);
  }

  console.log(
    `Database ${dbName} on ${admin.label}. Measuring the maximum for ${MEASURE_S} s (both paths at once, ${CONNECTIONS} connections each)…`,
  );
  const probes = Object.fromEntries(Object.entries(targets).map(([k, t]) => [k, drive(t, 0)]));
  // 5 s to warm the JIT and the connections up, then the measured 15 s.
  await sleep(5000);
  for (const d of Object.values(probes)) d.take();
  await sleep(MEASURE_S * 1000);
  const max = {};
  for (const [k, d] of Object.entries(probes)) {
    max[k] = d.take().count / MEASURE_S;
    await d.stop();
  }
  const rate = { app: Math.round(max.app / 2), server: Math.round(max.server / 2) };
  console.log(
    `  maximum: app ${fmt(max.app)} req/s, server ${fmt(max.server)} req/s; soaking at app ${fmt(rate.app)} + server ${fmt(rate.server)} req/s for ${minutes} min (load average ${loadavg()[0].toFixed(2)})`,
  );

  const live = Object.fromEntries(Object.entries(targets).map(([k, t]) => [k, drive(t, rate[k])]));
  drivers.push(...Object.values(live));
  const samples = [];
  const began = Date.now();
  const end = began + minutes * 60_000;
  let next = began + SAMPLE_MS;
  while (next <= end) {
    await sleep(next - Date.now());
    const { rows } = await monitor.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
      [dbName],
    );
    const sample = {
      t: next - began,
      loadavg: loadavg()[0],
      server: { rss: rssMiB(server.child.pid), fds: fdCount(server.child.pid) },
      app: { rss: rssMiB(app.child.pid), fds: fdCount(app.child.pid) },
      pgConnections: rows[0].n,
    };
    for (const [k, d] of Object.entries(live)) {
      const w = d.take();
      Object.assign(sample[k], { rps: w.count / (SAMPLE_MS / 1000), p99: w.p99, bad: w.bad });
    }
    samples.push(sample);
    console.log(
      `  ${fmt(sample.t / 1000)} s  load ${sample.loadavg.toFixed(2)}  server ${fmt(sample.server.rss, 1)} MiB ${sample.server.fds} fds p99 ${fmt(sample.server.p99)} ms ${fmt(sample.server.rps)}/s | app ${fmt(sample.app.rss, 1)} MiB ${sample.app.fds} fds p99 ${fmt(sample.app.p99)} ms ${fmt(sample.app.rps)}/s | pg ${sample.pgConnections}`,
    );
    next += SAMPLE_MS;
  }
  for (const d of drivers.splice(0)) await d.stop();

  const warmupMs = Math.min(480_000, Math.max(SAMPLE_MS, Math.round(minutes * 60_000 * 0.2)));
  const verdicts = judge(samples, warmupMs);
  const passed = verdicts.every((v) => v.pass);
  if (!passed) exitCode = 1;
  const loads = samples.map((s) => s.loadavg);
  writeFileSync(
    out,
    `${JSON.stringify({ startedAt, minutes, machine: machineText, database: admin.label, max, rate, warmupMs, samples, verdicts }, null, 2)}\n`,
  );
  console.log(`Samples in ${relative(root, out)}. Warm-up ${fmt(warmupMs / 1000)} s.`);
  for (const v of verdicts) console.log(`  ${v.pass ? 'PASS' : 'FAIL'}  ${v.target}: ${v.value}`);
  if (record) {
    writeResults(
      'soak',
      [
        '## soak',
        '',
        `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machineText}; ${admin.label} (fresh database). One server process (the real app from sources, limits raised) and one app process (Fastify + the built SDK, \`apiKey:read\`), ${minutes} minutes. Load average during the run: ${fmt(Math.min(...loads), 2)}–${fmt(Math.max(...loads), 2)} (median ${fmt(median(loads), 2)}); the load generator and PostgreSQL share the machine with the other engineers' work.`,
        '',
        `Maximum measured for ${MEASURE_S} s with both paths loaded at once (${CONNECTIONS} connections each): app ${fmt(max.app)} req/s, server \`POST /verify\` ${fmt(max.server)} req/s. Soaked at half: **${fmt(rate.app)} + ${fmt(rate.server)} cached verifications/s**, one key. Sampled every 10 s; judged after a ${fmt(warmupMs / 1000)} s warm-up (targets in bench/soak/run.mjs).`,
        '',
        '| target | measured | verdict |',
        '| --- | --- | --- |',
        ...verdicts.map((v) => `| ${v.target} | ${v.value} | ${v.pass ? 'pass' : '**fail**'} |`),
        '',
      ].join('\n'),
    );
  }
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  for (const d of drivers) await d.stop().catch(() => {});
  await monitor.end().catch(() => {});
  await stopTs(app);
  await stopTs(server);
  await db.cleanUp();
}
process.exit(exitCode);
