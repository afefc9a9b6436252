#!/usr/bin/env node
// Access-log benchmark (issue 12 item 2), one run on one machine: what recording a value read
// costs. A `secrets get` through the service (decrypt + one access_events INSERT) against the
// access INSERT alone and against the audit hash-chain append a read paid before (same org).
//
//   node bench/access-log/run.mjs      (or `npm run bench access-log`)
//
// PostgreSQL: LATCH_BENCH_DATABASE_URL, else 127.0.0.1:5432, else an embedded one; a fresh
// database is made and dropped. BENCH_DURATION (seconds per run, default 3), BENCH_ROUNDS (5).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adminDatabase,
  adminQuery,
  describeMachine,
  runForResult,
  uptime,
  withDatabase,
  writeResults,
} from '../lib/common.mjs';

const machine = describeMachine();
const work = mkdtempSync(join(tmpdir(), 'latch-bench-access-'));
const admin = await adminDatabase(work);
const name = `latch_bench_access_${Date.now()}`;
await adminQuery(admin.url, `CREATE DATABASE ${name}`);
const before = uptime();
let result;
try {
  result = await runForResult('bench/access-log/measure.ts', {
    env: { DATABASE_URL: withDatabase(admin.url, name) },
  });
} finally {
  await adminQuery(admin.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  await admin.stop();
  rmSync(work, { recursive: true, force: true });
}
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const pct = (n) => `${(n * 100).toFixed(1)}%`;
const rows = Object.entries(result).map(([c, r]) => {
  // Share of a get's time spent on its access entry: (1/access) / (1/get) at the same concurrency.
  const share = r.get.median / r.access.median;
  return `| ${c} | ${fmt(r.get.median)} | ${fmt(r.access.median)} | ${fmt(r.audit.median)} | **${pct(r.access.median / r.audit.median)}** | ${pct(share)} | ${r.get.rounds.map(fmt).join(', ')} |`;
});
const section = `## access-log

${new Date().toISOString().slice(0, 10)}, ${machine}; ${admin.label} (fresh database); in process, no HTTP (shared machine: \`uptime\` before: ${before}; after: ${uptime()}).

Recording a value read. \`get\`: \`secretsRead.get\` as shipped (project/environment look-ups, newest version, AES-GCM decrypt, one \`access_events\` INSERT awaited before answering). \`access\`: that INSERT alone. \`audit\`: the hash-chain append (own transaction, same org) that each value read paid before the access log existed: the baseline. \`c\` concurrent loops, ${process.env.BENCH_ROUNDS || 5} alternating rounds of ${process.env.BENCH_DURATION || 3} s after a warm-up; medians, operations/s.

| c | get/s | access insert/s | audit append/s (before) | **access / audit** | access share of a get | get per round |
| ---: | ---: | ---: | ---: | ---: | ---: | --- |
${rows.join('\n')}

"access share of a get" is get/s ÷ access insert/s: the fraction of a read's time its entry costs, if the two did not share the machine's cores.
`;
console.log(section);
writeResults('access-log', section);
