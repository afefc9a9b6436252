#!/usr/bin/env node
// Effects benchmark (issue 13), one run on one machine; bench.ts does the measuring:
//   (a) deliveries/s end to end vs bare POSTs from one Node process to the same receiver (target ≥ 50%);
//   (b) p99 enqueue → delivery at 100 deliveries/s (target < 100 ms);
//   (c) cost of enqueueing a platform event inside a state-changing request (target < 10%).
//
//   node bench/effects/run.mjs      (or `npm run bench effects`)
//
// PostgreSQL: LATCH_BENCH_DATABASE_URL, else 127.0.0.1:5432, else embedded. A fresh database is
// made and dropped. BENCH_DELIVERIES (default 3000), BENCH_ROUNDS (3: bare and effects rounds
// interleaved), BENCH_SECONDS (10), BENCH_REQUESTS (300: part c sends 4 × that on each side, in 20 ABBA rounds).
import { benchDatabase, fmt, runForResult, uptime, writeResults } from '../lib/common.mjs';

const uptimeBefore = uptime();
const db = await benchDatabase('effects');
const { machine, admin } = db;
try {
  const r = await runForResult('bench/effects/bench.ts', {
    env: { DATABASE_URL: db.url },
  });
  const load = uptime();
  const overhead = r.withMs / r.plainMs - 1;
  const pctOf = (x) => `${fmt(x * 100)}%`;
  const signed = (x) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 1)}%`;
  const section = [
    '## effects',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${machine}; PostgreSQL: ${admin.label}.`,
    `Before: \`${uptimeBefore}\`. After: \`${load}\`.`,
    'The machine is shared with other engineers: numbers move with their load.',
    '',
    '| measurement | result | target |',
    '| --- | --- | --- |',
    `| (a) ${fmt(r.n)} deliveries end to end (enqueued, claimed with SKIP LOCKED, POSTed over keep-alive, recorded in batches), ${r.concurrency} in flight, vs ${fmt(r.n)} bare POSTs from one process at the same concurrency; ${r.rounds} interleaved rounds, median | ${fmt(r.effectRate)}/s vs ${fmt(r.bareRate)}/s = **${pctOf(r.ratio)}** (rounds: ${r.ratios.map(pctOf).join(', ')}; ${fmt(r.failedAttempts)} failed attempts) | ≥ 50% |`,
    `| (b) enqueue over HTTP (keep-alive) → arrival at the receiver, 100/s for ${fmt(r.rateSent / 100)} s after a 2 s warm-up (${fmt(r.rateCount)} of ${fmt(r.rateSent)} acknowledged enqueues arrived; ${fmt(r.enqueueErrors)} refused or reset) | p50 ${fmt(r.p50, 1)} ms, **p99 ${fmt(r.p99, 1)} ms**, max ${fmt(r.max, 1)} ms; the enqueue request itself p50 ${fmt(r.enqueueP50, 1)} ms, p99 ${fmt(r.enqueueP99, 1)} ms; in the server (enqueue → attempt recorded) p50 ${fmt(r.serverP50, 1)} ms, p99 ${fmt(r.serverP99, 1)} ms; queries waiting for a pool connection: mean ${fmt(r.poolWaitingMean, 1)}, max ${fmt(r.poolWaitingMax)} | p99 < 100 ms |`,
    `| (c) \`PUT …/secrets/:name\` with a subscribed endpoint (event enqueued in its transaction, by the audit append's statement) vs none, the worker stopped (the enqueue is measured, not the delivery); ${fmt(r.plainRounds.length)} rounds in ABBA order, each half ${fmt(r.cGroup)} sequential requests after 5 of warm-up; median of each side | ${fmt(r.withMs, 2)} ms vs ${fmt(r.plainMs, 2)} ms = **${signed(overhead)}** (median of the per-round ratios: ${signed(r.pairedOverhead)}; rounds with: ${r.withRounds.map((x) => fmt(x, 2)).join(', ')}; without: ${r.plainRounds.map((x) => fmt(x, 2)).join(', ')}) | < 10% |`,
    '',
    'Where the worker spent the effects rounds (its claims and recorded batches, timed on the pool):',
    '',
    '| round | seconds | claims (rows each, ms each) | recorded batches (attempts each, ms each) |',
    '| --- | --- | --- | --- |',
    ...r.perRound.map(
      (x, i) =>
        `| ${i + 1} | ${fmt(x.seconds, 2)} | ${fmt(x.claims.n)} (${fmt(x.claims.rows / x.claims.n, 1)}, ${fmt(x.claims.ms / x.claims.n, 2)}) | ${fmt(x.finishes.n)} (${fmt(x.finishes.rows / x.finishes.n, 1)}, ${fmt(x.finishes.ms / x.finishes.n, 2)}) |`,
    ),
    '',
    `The claim on a backlog of ${fmt(r.n)} (its statement with claim_effects' settings, \`EXPLAIN ANALYZE\`, rolled back):`,
    '',
    '```',
    ...r.claimPlan,
    '```',
    '',
  ].join('\n');
  console.log(section);
  writeResults('effects', section);
} finally {
  await db.cleanUp();
}
