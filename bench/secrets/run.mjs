#!/usr/bin/env node
// Secrets benchmark (issue 5), one run on one machine:
//   (a) `latch run --env E -- node -e 0` with 200 released secrets vs plain `node -e 0`: the wall
//       time `latch run` adds (target < 300 ms).
//   (b) reading a release of 1,000 secrets through the API (decrypt and serve) vs serving the
//       same 1,000 values unencrypted from the same table, behind the same auth, audit write and
//       response schema: the cost of encryption as a ratio.
//
//   node bench/secrets/run.mjs      (or `npm run bench`; needs `npm run build -w @latchkey/cli`)
//
// PostgreSQL: LATCH_BENCH_DATABASE_URL (a superuser URL), else the machine's at 127.0.0.1:5432,
// else an embedded one. A fresh database is made and dropped. BENCH_RUNS (default 30) and
// BENCH_DURATION (seconds per load run, default 5) shorten it for a quick look.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import autocannon from 'autocannon';
import { benchDatabase, fmt, median, root, startTs, stopTs, writeResults } from '../lib/common.mjs';

const latch = join(root, 'packages', 'cli', 'dist', 'latch.js');
const runs = Number(process.env.BENCH_RUNS) || 30;
const duration = Number(process.env.BENCH_DURATION) || 5;
const rounds = 3;

/** Interleaved runs (with 3 warm-up rounds), so background load hits every row alike. */
function timeCommands(rows) {
  for (const row of rows) {
    const r = spawnSync(process.execPath, row.args, { env: row.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`\`${row.name}\` failed (exit ${r.status}):\n${r.stderr}`);
  }
  const times = rows.map(() => []);
  for (let i = 0; i < runs + 3; i++) {
    rows.forEach((row, k) => {
      const t = process.hrtime.bigint();
      spawnSync(process.execPath, row.args, { env: row.env, stdio: 'ignore' });
      if (i >= 3) times[k].push(Number(process.hrtime.bigint() - t) / 1e6);
    });
  }
  return rows.map((row, k) => ({
    name: row.name,
    median: median(times[k]),
    mean: times[k].reduce((a, b) => a + b, 0) / runs,
  }));
}

async function load(url, token, connections) {
  const result = await autocannon({
    url,
    connections,
    duration,
    headers: { authorization: `Bearer ${token}` },
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${url}: ${bad} failed requests`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

if (!existsSync(latch)) {
  console.error(`${relative(root, latch)} is missing. Build it first: npm run build -w @latchkey/cli`);
  process.exit(1);
}
const db = await benchDatabase('secrets');
const { machine, work, admin, name: dbName, url: databaseUrl } = db;
let server;
try {
  console.log(`Database: fresh ${dbName} on ${admin.label}. Seeding 200 + 1,000 secrets…`);
  server = await startTs('bench/secrets/server.ts', { env: { DATABASE_URL: databaseUrl } });
  const configDir = join(work, 'config');
  const env = {
    ...process.env,
    LATCH_CONFIG_DIR: configDir,
    NO_COLOR: '1',
    LATCH_API_URL: server.url,
    LATCH_TOKEN: server.token,
    LATCH_PROJECT: 'bench',
  };
  const baseEnv = { ...process.env };

  console.log(`(a) \`latch run\` with 200 secrets vs \`node -e 0\`, ${runs} interleaved runs each…`);
  const [node, run, version] = timeCommands([
    { name: 'node -e 0', args: ['-e', '0'], env: baseEnv },
    {
      name: 'latch run --env run200 -- node -e 0',
      args: [
        latch,
        '--org',
        server.orgId,
        'run',
        '--env',
        'run200',
        '--',
        process.execPath,
        '-e',
        'if (Object.keys(process.env).filter((k) => k.startsWith("BENCH_SECRET_")).length !== 200) process.exit(1)',
      ],
      env,
    },
    { name: 'latch --version', args: [latch, '--version'], env },
  ]);
  const added = run.median - node.median;
  for (const r of [node, run, version]) console.log(`  ${r.name.padEnd(40)} median ${fmt(r.median, 1)} ms`);
  console.log(`  added by latch run: ${fmt(added, 1)} ms (target < 300 ms)`);

  console.log(
    `(b) a release of 1,000 secrets over HTTP, encrypted vs plaintext, ${rounds} alternating rounds of ${duration} s…`,
  );
  const real = `${server.url}/api/v1/orgs/${server.orgId}/projects/bench/environments/read1000/released-secrets`;
  const plain = `${server.url}/bench/orgs/${server.orgId}/projects/bench/environments/read1000/plain-secrets`;
  const [a, b] = await Promise.all([
    fetch(real, { headers: { authorization: `Bearer ${server.token}` } }),
    fetch(plain, { headers: { authorization: `Bearer ${server.token}` } }),
  ]);
  const [ja, jb] = [await a.json(), await b.json()];
  if (JSON.stringify(ja.values) !== JSON.stringify(jb.values) || Object.keys(ja.values).length !== 1000) {
    throw new Error('the two routes do not serve the same 1,000 values');
  }
  const results = {};
  for (const connections of [1, 10]) {
    await load(real, server.token, connections);
    await load(plain, server.token, connections);
    const runsBy = { real: [], plain: [] };
    for (let i = 0; i < rounds; i++) {
      runsBy.plain.push(await load(plain, server.token, connections));
      runsBy.real.push(await load(real, server.token, connections));
    }
    const pick = (list, f) => median(list.map(f));
    results[connections] = Object.fromEntries(
      Object.entries(runsBy).map(([k, list]) => [
        k,
        { rps: pick(list, (r) => r.rps), p50: pick(list, (r) => r.p50), p99: pick(list, (r) => r.p99) },
      ]),
    );
    const r = results[connections];
    console.log(
      `  ${connections} conn: encrypted ${fmt(r.real.rps)} req/s (p50 ${r.real.p50} ms), plaintext ${fmt(r.plain.rps)} req/s (p50 ${r.plain.p50} ms): ${fmt((r.real.rps / r.plain.rps) * 100, 1)}%`,
    );
  }
  console.log(
    `  AES-256-GCM decryption alone, 1,000 values: ${fmt(server.decryptMs.read1000, 2)} ms (200 values: ${fmt(server.decryptMs.run200, 2)} ms)`,
  );

  const day = new Date().toISOString().slice(0, 10);
  writeResults(
    'secrets',
    [
      '## secrets',
      '',
      `${day}, ${machine}; ${admin.label} (fresh database); the server, the CLI and the load generator share the machine.`,
      '',
      `**(a) \`latch run\` with 200 released secrets** vs plain \`node -e 0\`, ${runs} interleaved runs each after 3 warm-up rounds (the child checks it got all 200). Target: under 300 ms added. \`latch run\` makes one HTTPS-less round trip to a server on this machine (auth, release look-up, 200 decryptions, an audit row) and then spawns the child.`,
      '',
      '| command | median ms | mean ms |',
      '| --- | ---: | ---: |',
      ...[node, run, version].map((r) => `| \`${r.name}\` | ${fmt(r.median, 1)} | ${fmt(r.mean, 1)} |`),
      `| **added by \`latch run\`** (median) | **${fmt(added, 1)}** | |`,
      '',
      `**(b) Reading a release of 1,000 secrets** through \`GET …/released-secrets\` (decrypt each value) vs a baseline route serving the same 1,000 values unencrypted from the same rows (a plaintext column the benchmark adds to its throwaway database), with the same auth, project and environment look-ups, release query, access-log entry and response schema; autocannon 8, ${rounds} alternating rounds of ${duration} s after a warm-up, medians.`,
      '',
      '| connections | encrypted req/s | p50 ms | p99 ms | plaintext req/s | p50 ms | p99 ms | **encrypted / plaintext** |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...Object.entries(results).map(
        ([c, r]) =>
          `| ${c} | ${fmt(r.real.rps)} | ${r.real.p50} | ${r.real.p99} | ${fmt(r.plain.rps)} | ${r.plain.p50} | ${r.plain.p99} | **${fmt((r.real.rps / r.plain.rps) * 100, 1)}%** |`,
      ),
      '',
      `AES-256-GCM decryption alone (in process, data key cached, median of 30 rounds): ${fmt(server.decryptMs.read1000, 2)} ms for 1,000 values, ${fmt(server.decryptMs.run200, 2)} ms for 200.`,
      '',
    ].join('\n'),
  );
} catch (err) {
  console.error(`secrets: ${err.message}`);
  process.exitCode = 1;
} finally {
  await stopTs(server);
  await db.cleanUp();
}
