#!/usr/bin/env node
// Usage benchmark (issue 12), two measurements in one run on one machine:
//   (a) ingestion: SDK-format usage reports (20,000 events each, 2 in flight) POSTed to the real
//       server over HTTP, counted as rows stored in usage_events per second, against a baseline of
//       the same events stored by single-row INSERTs (4 connections) on the same database.
//       Target: >= 50,000 events/s stored.
//   (b) SDK cached `verify()` with usage reporting on (per-event) vs off: ops/s, median of
//       alternating rounds. Target: on >= 95% of off.
//
//   node bench/usage/run.mjs      (or `npm run bench usage`)
//
// PostgreSQL as bench/lib/common.mjs finds it; a fresh database is made and dropped.
import { benchDatabase, fmt, runForResult, uptime, writeResults } from '../lib/common.mjs';

const uptimeBefore = uptime();
const db = await benchDatabase('usage');
const { machine, admin } = db;
let result;
try {
  result = await runForResult('bench/usage/bench.ts', {
    env: { DATABASE_URL: db.url },
    echo: true,
  });
} finally {
  await db.cleanUp();
}

const uptimeAfter = uptime();
const { a, b } = result;
const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
writeResults(
  'usage',
  `## usage

${date} UTC · ${machine} · ${admin.label} · load average ${result.loadStart.toFixed(2)} at the start, ${result.loadEnd.toFixed(2)} at the end. \`uptime\` before: ${uptimeBefore}; after: ${uptimeAfter}.
The machine is shared with other engineers' test runs: numbers move with their load.

**(a) Ingestion** (\`POST …/usage\`, SDK batch format with per-event \`events\`, ${fmt(a.batchEvents)} events
per report, 2 reports in flight, real HTTP server and PostgreSQL; the report's keys looked up once,
then one binary \`COPY … FROM STDIN\` per report). Baseline: the same events by single-row
\`INSERT\`s, 4 connections, same database.

| path | events | seconds | events/s stored | per round |
| --- | ---: | ---: | ---: | --- |
| SDK batches over HTTP (median of ${a.batched.rates.length} rounds of ${fmt(a.batched.events / a.batched.rates.length)}) | ${fmt(a.batched.events)} | ${fmt(a.batched.seconds, 2)} | **${fmt(a.batched.rate)}** | ${a.batched.rates.map((x) => fmt(x)).join(', ')} |
| single-row INSERTs (baseline) | ${fmt(a.single.events)} | ${fmt(a.single.seconds, 2)} | ${fmt(a.single.rate)} | |

Batched / single-row: **${fmt(a.batched.rate / a.single.rate, 1)}×**. Target ≥ 50,000 events/s: ${a.batched.rate >= 50_000 ? 'met' : '**not met**'}.

The store step alone (in process, no HTTP or JSON; the same ${fmt(a.batchEvents)}-row report, 2 in flight, 5 rounds of 6
reports alternating which goes first): binary COPY **${fmt(a.store.copy)}** events/s vs the
\`INSERT … SELECT FROM unnest\` of before ${fmt(a.store.unnest)} events/s: **${fmt(a.store.ratio, 2)}×** (median of per-round ratios).

**(b) SDK cached verify** (\`await verifier.verify(key)\`, one cached key, ${fmt(b.iterations)} calls per round,
${b.rounds} alternating rounds): usage reporting on (every outcome noted for a per-event report,
flushed every 5 s) vs \`usage: false\`.

| usage reporting | median ops/s |
| --- | ---: |
| off | ${fmt(b.off)} |
| on (per-event) | ${fmt(b.on)} |

On / off: **${fmt(b.ratio * 100, 1)}%** (median of per-round ratios). Target ≥ 95%: ${b.ratio >= 0.95 ? 'met' : '**not met**'}.
Events noted per flush are capped (\`maxEvents\`, default 20,000); beyond that they are counted only.
`,
);
