#!/usr/bin/env node
// Effects benchmark (issue 13), one run on one machine; bench.ts does the measuring:
//   (a) deliveries/s end to end vs bare POSTs from one Node process to the same receiver (target ≥ 50%);
//   (b) p99 enqueue → delivery at 100 deliveries/s (target < 100 ms);
//   (c) cost of enqueueing a platform event inside a state-changing request (target < 10%).
//
//   node bench/effects/run.mjs      (or `npm run bench effects`)
//
// PostgreSQL: LATCH_BENCH_DATABASE_URL, else 127.0.0.1:5432, else embedded. A fresh database is
// made and dropped. BENCH_DELIVERIES (default 3000), BENCH_SECONDS (10), BENCH_REQUESTS (300).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adminDatabase,
  adminQuery,
  describeMachine,
  fmt,
  runForResult,
  uptime,
  withDatabase,
  writeResults,
} from '../lib/common.mjs';

const work = mkdtempSync(join(tmpdir(), 'latch-bench-effects-'));
const machine = describeMachine();
const admin = await adminDatabase(work);
const name = `latch_bench_effects_${Date.now()}`;
await adminQuery(admin.url, `CREATE DATABASE ${name}`);
try {
  const r = await runForResult('bench/effects/bench.ts', {
    env: { DATABASE_URL: withDatabase(admin.url, name) },
  });
  const load = uptime();
  const ratio = r.effectRate / r.bareRate;
  const overhead = r.withMs / r.plainMs - 1;
  const section = [
    '## effects',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${machine}; PostgreSQL: ${admin.label}. After the runs: \`${load}\`.`,
    'The machine is shared with other engineers: numbers move with their load.',
    '',
    '| measurement | result | target |',
    '| --- | --- | --- |',
    `| (a) ${fmt(r.n)} deliveries end to end (enqueued, claimed with SKIP LOCKED, signed/POSTed, recorded), ${r.concurrency} in flight | ${fmt(r.effectRate)}/s vs ${fmt(r.bareRate)}/s bare POSTs = **${fmt(ratio * 100)}%** | ≥ 50% |`,
    `| (b) enqueue (HTTP API) → arrival at 100/s for ${fmt(r.rateSent / 100)} s (${fmt(r.rateCount)} of ${fmt(r.rateSent)} acknowledged enqueues arrived; ${fmt(r.enqueueErrors)} client connection resets) | p50 ${fmt(r.p50, 1)} ms, **p99 ${fmt(r.p99, 1)} ms**, max ${fmt(r.max, 1)} ms | p99 < 100 ms |`,
    `| (c) \`PUT …/secrets/:name\` with a subscribed endpoint (event enqueued in its transaction) vs none, median of 4 rounds | ${fmt(r.withMs, 2)} ms vs ${fmt(r.plainMs, 2)} ms = **${overhead >= 0 ? '+' : ''}${fmt(overhead * 100, 1)}%** (${fmt(r.enqueuedEvents)} events enqueued) | < 10% |`,
    '',
  ].join('\n');
  console.log(section);
  writeResults('effects', section);
} finally {
  await adminQuery(admin.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  await admin.stop();
  rmSync(work, { recursive: true, force: true });
}
