#!/usr/bin/env node
// Audit benchmark (issue 12, item 1), one run on one machine:
//   (a) state-changing requests (`PUT …/secrets/:name`, a new version and its audit entry in one
//       transaction) with the hash-chained audit vs the same requests writing the plain single
//       INSERT of before the chain, in one server process switched between rounds; all requests
//       in one org, the worst case for the chain's per-org lock. Target: at least 80%.
//   (b) verifyChain over 1,000,000 rows, in rows per second. Target: at least 200,000/s.
//   (c) where a state-changing request spends its time (profile.ts), against raw single-row
//       INSERT transactions on the same database.
//
//   node bench/audit/run.mjs      (or `npm run bench`)
//
// PostgreSQL: LATCH_BENCH_DATABASE_URL (a superuser URL), else the machine's at 127.0.0.1:5432,
// else an embedded one. A fresh database is made and dropped. BENCH_DURATION (seconds per load
// run, default 5), BENCH_ROUNDS (default 5) and BENCH_ROWS (default 1,000,000) shorten it.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { benchDatabase, fmt, median, startTs, stopTs, uptime, writeResults } from '../lib/common.mjs';

const duration = Number(process.env.BENCH_DURATION) || 5;
const rounds = Number(process.env.BENCH_ROUNDS) || 5;

/** A TypeScript file of bench/audit on `databaseUrl`, once it prints `<marker> <json>`. */
const runTs = (script, databaseUrl, marker) =>
  startTs(script, { env: { DATABASE_URL: databaseUrl }, marker });

async function setMode(server, plain) {
  const res = await fetch(`${server.url}/bench/audit-mode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ plain }),
  });
  if (!res.ok) throw new Error(`audit-mode: ${res.status}`);
}

/** PUT a new version of one of 100 secrets, picked at random per request. */
async function load(server, connections) {
  const base = `/api/v1/orgs/${server.orgId}/projects/bench/environments/production/secrets`;
  const result = await autocannon({
    url: server.url,
    connections,
    duration,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'PUT',
        setupRequest: (req) => ({
          ...req,
          path: `${base}/BENCH_${Math.floor(Math.random() * 100)}`,
          body: JSON.stringify({ value: randomBytes(12).toString('base64url') }),
        }),
      },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${bad} failed requests`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const db = await benchDatabase('audit');
const { machine, admin, name: dbName, url: databaseUrl } = db;
let server;
try {
  console.log(`Database: fresh ${dbName} on ${admin.label}.`);
  server = await runTs('bench/audit/server.ts', databaseUrl, 'READY');

  const uptimeA = uptime();
  console.log(
    `(a) PUT secret, chained vs plain audit, ${rounds} alternating rounds of ${duration} s… (${uptimeA})`,
  );
  const results = {};
  for (const connections of [1, 10]) {
    for (const plain of [false, true]) {
      await setMode(server, plain);
      await load(server, connections);
    }
    const by = { chained: [], plain: [], ratio: [] };
    for (let i = 0; i < rounds; i++) {
      // Alternating which goes first, so drift within a round hits both alike.
      const order = i % 2 ? [true, false] : [false, true];
      const round = {};
      for (const plain of order) {
        await setMode(server, plain);
        round[plain ? 'plain' : 'chained'] = await load(server, connections);
      }
      by.chained.push(round.chained);
      by.plain.push(round.plain);
      by.ratio.push(round.chained.rps / round.plain.rps);
    }
    const pick = (list, f) => median(list.map(f));
    results[connections] = {
      chained: {
        rps: pick(by.chained, (r) => r.rps),
        p50: pick(by.chained, (r) => r.p50),
        p99: pick(by.chained, (r) => r.p99),
      },
      plain: {
        rps: pick(by.plain, (r) => r.rps),
        p50: pick(by.plain, (r) => r.p50),
        p99: pick(by.plain, (r) => r.p99),
      },
      ratio: median(by.ratio),
      ratios: by.ratio,
    };
    const r = results[connections];
    console.log(
      `  ${connections} conn: chained ${fmt(r.chained.rps)} req/s, plain ${fmt(r.plain.rps)} req/s: ${fmt(r.ratio * 100, 1)}% (rounds: ${r.ratios.map((x) => `${fmt(x * 100)}%`).join(' ')})`,
    );
  }
  await setMode(server, false);
  await stopTs(server);
  server = null;

  const uptimeC = uptime();
  console.log(`(c) where a state-changing request's time goes (in process, one at a time)… (${uptimeC})`);
  // A database of its own: the seeded project's key prefix is unique per server.
  const prof = await runTs('bench/audit/profile.ts', await db.create(`${dbName}_p`), 'RESULT');
  await new Promise((r) => (prof.child.exitCode === null ? prof.child.once('exit', r) : r()));
  const uptimeC2 = uptime();
  const kindsProfiled = Object.entries(prof).filter(([k]) => k !== 'child' && k !== 'raw');
  for (const [k, p] of kindsProfiled) {
    console.log(
      `  ${k}: ${fmt(p.wallMs, 2)} ms (Node CPU ${fmt(p.nodeCpuMs, 2)}, SQL ${fmt(p.sqlMs, 2)} in ${fmt(p.statementsPerRequest, 1)} statements); raw INSERT ${fmt(prof.raw.wallMs, 2)} ms → ${fmt(p.rawRatio * 100, 1)}% (rounds: ${p.rawRatios.map((x) => `${fmt(x * 100, 1)}%`).join(' ')})`,
    );
  }

  const uptimeB = uptime();
  console.log(`(b) verifyChain over ${fmt(Number(process.env.BENCH_ROWS) || 1_000_000)} rows… (${uptimeB})`);
  const v = await runTs('bench/audit/verify.ts', databaseUrl, 'RESULT');
  await new Promise((r) => (v.child.exitCode === null ? v.child.once('exit', r) : r()));
  const best = Math.min(...v.seconds);
  const med = median(v.seconds);
  const refMed = median(v.referenceSeconds);
  console.log(
    `  ${fmt(v.rows)} rows: fast ${v.seconds.map((s) => `${fmt(s, 2)} s`).join(', ')}; median ${fmt(v.rows / med)} rows/s; reference walk median ${fmt(v.rows / refMed)} rows/s (seeded in ${fmt(v.seedSeconds, 1)} s)`,
  );
  const uptimeB2 = uptime();

  const day = new Date().toISOString().slice(0, 10);
  writeResults(
    'audit',
    [
      '## audit',
      '',
      `${day}, ${machine}; ${admin.label} (fresh database); the server and the load generator share the machine (shared with other engineers' work: \`uptime\` is noted with each part).`,
      '',
      `**(a) State-changing requests with the hash-chained audit vs a plain audit insert.** \`PUT …/secrets/:name\` (auth, project and environment look-ups, a new encrypted version and its audit entry in one transaction) on one of 100 secrets at random, all in one org: every request queues on that org's chain head, the worst case for the chain. One server process, switched between the chained append and the single INSERT of before the chain (\`setPlainAuditForBenchmark\`, bench only) between runs; autocannon 8, ${rounds} rounds of ${duration} s each alternating which goes first, after a warm-up of each; medians, and the ratio is the median of the per-round ratios. Target: at least 80%. \`uptime\`: ${uptimeA}.`,
      '',
      '| connections | chained req/s | p50 ms | p99 ms | plain req/s | p50 ms | p99 ms | **chained / plain** | per round |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...Object.entries(results).map(
        ([c, r]) =>
          `| ${c} | ${fmt(r.chained.rps)} | ${r.chained.p50} | ${r.chained.p99} | ${fmt(r.plain.rps)} | ${r.plain.p50} | ${r.plain.p99} | **${fmt(r.ratio * 100, 1)}%** | ${r.ratios.map((x) => `${fmt(x * 100)}%`).join(', ')} |`,
      ),
      '',
      `**(c) Where a state-changing request's time goes**, in one process (\`bench/audit/profile.ts\`): requests sent one at a time with \`app.inject\` (no network, no load generator), every SQL statement of the app timed by wrapping pg's \`Client#query\`, against raw single-row \`INSERT\` transactions (autocommit) one at a time on the same database. ${prof.raw.rounds} rounds of ${prof.raw.per} of each; within a round the baseline and the requests alternate in groups of 5 in a rotating order, so a change of load hits all alike; the ratio is the median of the per-round ratios (raw INSERT time / request time), with the middle half of the rounds (25th–75th percentile) beside it. \`PUT secret, endpoint subscribed\` is the same request in a second org whose webhook endpoint subscribes to secret.changed, so each one also enqueues an effect (the delivery worker is off in this process: the enqueue is measured, not the delivery). Target: key creation at least 15%. \`uptime\` before: ${uptimeC}; after: ${uptimeC2}.`,
      '',
      '| request | ms each | Node CPU ms | SQL ms | statements | raw INSERT / request | middle half of rounds | all rounds (%) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
      ...kindsProfiled.map(
        ([k, p]) =>
          `| ${k} | ${fmt(p.wallMs, 2)} | ${fmt(p.nodeCpuMs, 2)} | ${fmt(p.sqlMs, 2)} | ${fmt(p.statementsPerRequest, 1)} | **${fmt(p.rawRatio * 100, 1)}%** | ${p.rawQuartiles.map((x) => `${fmt(x * 100, 1)}%`).join('–')} | ${p.rawRatios.map((x) => fmt(x * 100, 0)).join(', ')} |`,
      ),
      `| raw single-row INSERT | ${fmt(prof.raw.wallMs, 2)} | | | 1 | | | |`,
      '',
      ...kindsProfiled.flatMap(([k, p]) => [
        `${k}, statements by time: ${p.statements
          .filter((st) => st.perRequest >= 0.5)
          .map((st) => `\`${st.sql.trim().split(' ').slice(0, 4).join(' ')}…\` ${fmt(st.ms, 2)} ms`)
          .join('; ')}.`,
        '',
      ]),
      `**(b) \`verifyChain\` over ${fmt(v.rows)} rows** of one org, shaped like \`secret.set\` entries (about 400 bytes of canonical encoding each). Fast path: one REPEATABLE READ snapshot, binary COPY read as raw protocol messages off the socket (the main thread only reads message headers and cuts chunks of 8,192 rows), each row's canonical encoding written from its column bytes into one reused buffer and hashed in ${v.threads} worker threads, chunks joined at their boundaries. Baseline in the same run: the reference walk (keyset batches of 20,000, \`JSON.parse\` and re-encoding in Node), which now runs only to name a bad row. ${v.seconds.length} rounds alternating which goes first. Target: at least 200,000 rows/s. \`uptime\` before: ${uptimeB}; after: ${uptimeB2}.`,
      '',
      '| path | runs (s) | median rows/s | best rows/s | CPU µs per row (Node + PostgreSQL), median | rows/s the CPU cost allows on 2 idle cores |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
      `| fast (COPY + ${v.threads} threads) | ${v.seconds.map((s) => fmt(s, 2)).join(', ')} | **${fmt(v.rows / med)}** | ${fmt(v.rows / best)} | ${fmt(median(v.cpuMicros) / v.rows, 2)} | ${fmt((2 * v.rows * 1e6) / median(v.cpuMicros))} |`,
      `| reference walk | ${v.referenceSeconds.map((s) => fmt(s, 2)).join(', ')} | ${fmt(v.rows / refMed)} | ${fmt(v.rows / Math.min(...v.referenceSeconds))} | ${fmt(median(v.referenceCpuMicros) / v.rows, 2)} | ${fmt((2 * v.rows * 1e6) / median(v.referenceCpuMicros))} |`,
      '',
      'The last column is a ceiling, not a measurement: 2 CPU-seconds per second divided by the CPU the run used, which assumes the work spreads over both cores perfectly and nothing else runs. The reference walk runs in one thread, so its real ceiling is half its figure.',
      '',
      `Fast path / reference walk: **${fmt(refMed / med, 1)}×** the rows per second.`,
      '',
      `For scale: SHA-256 alone over ${fmt(v.rows)} 400-byte strings takes ${fmt(v.hashOnlySeconds, 2)} s in the same process (${fmt(v.rows / v.hashOnlySeconds)}/s).`,
      '',
    ].join('\n'),
  );
} catch (err) {
  console.error(`audit: ${err.message}`);
  process.exitCode = 1;
} finally {
  await stopTs(server);
  await db.cleanUp();
}
