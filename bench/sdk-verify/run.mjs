#!/usr/bin/env node
// SDK benchmark (issue 4), three measurements in one run on one machine:
//   (a) cached `await verifier.verify(key)` and `verifier.verifySync(key)` in-process vs the floor
//       of the same work by hand (SHA-256 of the key + one Map look-up): ops/s and ratios, medians
//       of rotating rounds (target, issue 10: verify >= 90% of the floor).
//   (b) a Fastify route mounted from the manifest and guarded by apiKey:read vs the same route on
//       plain Fastify with no guard, 50 connections (autocannon): req/s, p99, ratio (target >= 80%).
//   (c) revocation propagation: time from `latch api-keys revoke` (the real binary) returning to
//       the app answering 401 for the key, 20 trials: median and max (target: max < 1 s).
//
//   node bench/sdk-verify/run.mjs      (or `npm run bench`)
//
// PostgreSQL: LATCH_BENCH_DATABASE_URL (a superuser URL), else the machine's at 127.0.0.1:5432,
// else an embedded one. A fresh database is made and dropped. BENCH_DURATION (seconds per load
// run, default 10) shortens it for a quick look; BENCH_PARTS=a runs (a) only and writes nothing.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchDatabase, fmt, root, startTs, stopTs, writeResults } from '../lib/common.mjs';

const duration = Number(process.env.BENCH_DURATION) || 10;
const TRIALS = 20;
const onlyA = process.env.BENCH_PARTS === 'a';

// ---- processes ----

/**
 * Runs a TypeScript file of this folder (startTs); resolves with its `<marker> <json>` line. The
 * server runs from sources; the app and the in-process loop use the built SDK (`npm run bench`
 * builds it).
 */
const start = (file, env, marker = 'READY', source = false) =>
  startTs(`bench/sdk-verify/${file}`, { env, marker, source });

function latch(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'packages/cli/dist/latch.js'), ...args], {
      env: { ...process.env, CI: '1', LATCH_CONFIG_DIR: join(work, 'cli'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`latch ${args.join(' ')}: ${err}`)),
    );
  });
}

// ---- measurements ----

async function createKey(s) {
  const res = await fetch(`${s.url}/api/v1/orgs/${s.orgId}/projects/bench/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.platformKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', scope: 'read', environment: 'production' }),
  });
  if (res.status !== 201) throw new Error(`create key: ${await res.text()}`);
  return res.json();
}

async function load(opts) {
  const result = await autocannon({ duration, connections: 50, ...opts });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${opts.url}: ${bad} failed requests (non-2xx ${result.non2xx})`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function guardedVsPlain(app, key) {
  const guarded = { url: `${app.guarded}/v1/projects`, headers: { authorization: `Bearer ${key}` } };
  const plain = { url: `${app.plain}/v1/projects` };
  await load({ ...plain, duration: 3 });
  await load({ ...guarded, duration: 3 });
  const rounds = [];
  for (let i = 0; i < 3; i++) rounds.push({ plain: await load(plain), guarded: await load(guarded) });
  const avg = (side, field) => rounds.reduce((a, r) => a + r[side][field], 0) / rounds.length;
  const side = (name) => ({ rps: avg(name, 'rps'), p50: avg(name, 'p50'), p99: avg(name, 'p99') });
  return { plain: side('plain'), guarded: side('guarded') };
}

async function propagation(s, app) {
  const env = { LATCH_TOKEN: s.platformKey, LATCH_API_URL: s.url };
  const times = [];
  for (let i = 0; i < TRIALS; i++) {
    const key = await createKey(s);
    const call = () =>
      fetch(`${app.guarded}/v1/projects`, { headers: { authorization: `Bearer ${key.token}` } });
    if ((await call()).status !== 200) throw new Error('a fresh key was refused');
    await latch(['api-keys', 'revoke', key.id, '-y', '--project', 'bench'], env);
    const returned = performance.now();
    for (;;) {
      const status = (await call()).status;
      if (status === 401) break;
      if (performance.now() - returned > 10_000)
        throw new Error('the app still accepts a revoked key after 10 s');
    }
    times.push(performance.now() - returned);
  }
  times.sort((a, b) => a - b);
  return { median: (times[9] + times[10]) / 2, max: times[times.length - 1], min: times[0] };
}

/** (b) and (c), then the results section (skipped with BENCH_PARTS=a). */
async function partsBandC(cached, a, sdkEnv, key) {
  console.log('(b) guarded vs plain Fastify route, 50 connections…');
  app = await start('app.ts', sdkEnv);
  const b = await guardedVsPlain(app, key.token);
  const bRatio = b.guarded.rps / b.plain.rps;
  console.log(`  plain   ${fmt(b.plain.rps)} req/s, p99 ${fmt(b.plain.p99, 1)} ms`);
  console.log(
    `  guarded ${fmt(b.guarded.rps)} req/s, p99 ${fmt(b.guarded.p99, 1)} ms → ${fmt(bRatio * 100, 1)}% (target ≥ 80%)`,
  );

  console.log(`(c) revocation propagation, ${TRIALS} trials…`);
  const c = await propagation(server, app);
  console.log(`  median ${fmt(c.median, 1)} ms, max ${fmt(c.max, 1)} ms (target: max < 1000 ms)`);

  writeResults(
    'sdk-verify',
    [
      '## sdk-verify',
      '',
      `${day}, ${machineText}; ${admin.label} (fresh database), one Latchkey server process, one app process; autocannon 8, ${duration} s per load run after a 3 s warm-up; the load generator shares the machine.`,
      '',
      `**(a) Cached verification in-process**: \`await verifier.verify(key)\` and \`verifier.verifySync(key)\` (usage reporting on) vs the floor, SHA-256 (hex) of the key + one \`Map.get\`, ${fmt(cached.iterations)} calls per run, ${cached.rounds.length} rounds in a rotating order; per second is the median over rounds, the ratio the median of per-round ratios. Target (issue 10): \`verify\` ≥ 90%.`,
      '',
      '| what | per second | vs the floor |',
      '| --- | ---: | ---: |',
      `| floor: SHA-256 + Map look-up by hand | ${fmt(a.floor)} | |`,
      `| \`await verifier.verify(key)\`, cached | ${fmt(a.verify)} | **${fmt(a.verifyRatio * 100, 1)}%** |`,
      `| \`verifier.verifySync(key)\`, cached | ${fmt(a.verifySync)} | **${fmt(a.verifySyncRatio * 100, 1)}%** |`,
      '',
      `Per round, verify and verifySync as % of the floor: ${cached.rounds.map((r) => `(${fmt((r.verify / r.floor) * 100)}%, ${fmt((r.verifySync / r.floor) * 100)}%)`).join(' ')}.`,
      '',
      '**(b) A Fastify route guarded by `apiKey:read`** (mounted from the manifest, one cached key) vs the same route and answer on plain Fastify with no guard, same process, 50 connections, three alternating rounds averaged. Target: ≥ 80%.',
      '',
      '| route | req/s | p50 ms | p99 ms |',
      '| --- | ---: | ---: | ---: |',
      `| plain Fastify, unguarded | ${fmt(b.plain.rps)} | ${fmt(b.plain.p50, 1)} | ${fmt(b.plain.p99, 1)} |`,
      `| \`mountRoutes\`, \`apiKey:read\` | ${fmt(b.guarded.rps)} | ${fmt(b.guarded.p50, 1)} | ${fmt(b.guarded.p99, 1)} |`,
      `| **ratio** | **${fmt(bRatio * 100, 1)}%** | | |`,
      '',
      `**(c) Revocation propagation**: time from \`latch api-keys revoke <id> -y\` (the real binary) returning to the app's first 401 for that key (the key was cached by a 200 just before), ${TRIALS} trials. Target: max < 1 s.`,
      '',
      '| median ms | min ms | max ms |',
      '| ---: | ---: | ---: |',
      `| ${fmt(c.median, 1)} | ${fmt(c.min, 1)} | ${fmt(c.max, 1)} |`,
      '',
    ].join('\n'),
  );
}

// ---- main ----

const day = new Date().toISOString().slice(0, 10);
const db = await benchDatabase('sdk');
const { machine: machineText, work, admin, name: dbName, url: databaseUrl } = db;
let server;
let app;
try {
  console.log(`Database: fresh ${dbName} on ${admin.label}. ${duration} s per load run.`);
  server = await start('server.ts', { DATABASE_URL: databaseUrl }, 'READY', true);
  const sdkEnv = { LATCH_API_URL: server.url, LATCH_TOKEN: server.platformKey };
  const key = await createKey(server);

  console.log('(a) cached verifier.verify / verifySync vs SHA-256 + Map look-up…');
  const cached = await start('cached.ts', { ...sdkEnv, BENCH_KEY: key.token }, 'RESULT');
  const a = cached;
  console.log(
    `  floor ${fmt(a.floor)}/s, verify ${fmt(a.verify)}/s → ${fmt(a.verifyRatio * 100, 1)}% (target ≥ 90%), verifySync ${fmt(a.verifySync)}/s → ${fmt(a.verifySyncRatio * 100, 1)}%`,
  );
  if (!onlyA) await partsBandC(cached, a, sdkEnv, key);
} finally {
  await stopTs(app);
  await stopTs(server);
  await db.cleanUp();
}
