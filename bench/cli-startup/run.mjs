#!/usr/bin/env node
// CLI start-up benchmark: how much slower than bare `node` is `latch`?
//
//   node bench/cli-startup/run.mjs            (needs `npm run build -w @latchkey/cli` first)
//
// Rows: `node -e 0` (the baseline), `latch --version`, and `latch auth status` (a full command
// with one HTTP round trip). For the last one the script starts its own `latch dev` server (a
// fresh data folder with its embedded PostgreSQL) and signs in with the device flow, unless
// LATCH_BENCH_API_URL and LATCH_BENCH_TOKEN name a running server and a token for it. Uses
// hyperfine when installed, else a Node loop that interleaves the commands (so background load
// hits all rows alike; hyperfine runs alternate in rounds for the same reason). BENCH_RUNS sets
// the run count per row (default 40).
// Results are printed and written to the "## cli-startup" section of bench/RESULTS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceFlowToken, startDevServer } from './server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const latch = join(root, 'packages', 'cli', 'dist', 'latch.js');
const runs = Number(process.env.BENCH_RUNS) || 40;
const node = process.execPath;

if (!existsSync(latch)) {
  console.error(`${relative(root, latch)} is missing. Build it first: npm run build -w @latchkey/cli`);
  process.exit(1);
}

// An empty config folder: the benchmark must neither read nor change the user's login.
const configDir = mkdtempSync(join(tmpdir(), 'latch-bench-'));
let server; // the `latch dev` this script starts, if any

// Everything this script started or created goes away, on success, failure or a signal.
let cleaning;
const cleanup = () => {
  cleaning ??= (async () => {
    try {
      await server?.stop();
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  })();
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (cleaning) return; // a repeat (e.g. Ctrl-C forwarded by bench/run.mjs as well)
    console.error(`${signal}: stopping${server ? ' the dev server' : ''} and cleaning up…`);
    cleanup().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (err) {
  console.error(`cli-startup: ${err.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

async function main() {
  const env = { ...process.env, LATCH_CONFIG_DIR: configDir, NO_COLOR: '1' };
  delete env.LATCH_TOKEN;
  delete env.LATCH_API_URL;

  let apiUrl = process.env.LATCH_BENCH_API_URL;
  let token = process.env.LATCH_BENCH_TOKEN;
  let serverNote;
  if (apiUrl && token) {
    serverNote = `\`latch auth status\` ran against the server given in LATCH_BENCH_API_URL (${apiUrl}).`;
  } else {
    const started = Date.now();
    console.error(
      'cli-startup: starting a `latch dev` server (embedded PostgreSQL) for `latch auth status`…',
    );
    server = startDevServer({ node, latch });
    apiUrl = await server.ready;
    token = await deviceFlowToken(apiUrl);
    console.error(
      `cli-startup: ${apiUrl} ready and signed in (${((Date.now() - started) / 1000).toFixed(1)} s).`,
    );
    serverNote =
      '`latch auth status` ran against a `latch dev` server started by the script on this machine (fresh data folder, embedded PostgreSQL), with a token from the device flow.';
  }

  const rows = [
    { name: 'node -e 0', args: ['-e', '0'], env },
    { name: 'latch --version', args: [latch, '--version'], env },
    {
      name: 'latch auth status',
      args: [latch, 'auth', 'status'],
      env: { ...env, LATCH_API_URL: apiUrl, LATCH_TOKEN: token },
    },
  ];

  // Fail early and clearly if a command does not succeed (e.g. the server is down).
  for (const row of rows) {
    const r = spawnSync(node, row.args, { env: row.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`\`${row.name}\` failed (exit ${r.status}):\n${r.stderr}`);
  }

  const hyperfine = spawnSync('hyperfine', ['--version'], { encoding: 'utf8' });
  const tool = hyperfine.status === 0 ? hyperfine.stdout.trim() : 'node loop';
  const machine = describeMachine(); // before the runs: the load average is the other work's
  const results = hyperfine.status === 0 ? withHyperfine(rows) : withNodeLoop(rows);
  report(results, { machine, tool, notes: [serverNote] });
}

function report(results, { machine, tool, notes }) {
  const base = results[0];
  const table = results.map((r) => ({
    command: r.name,
    mean: r.mean.toFixed(1),
    median: r.median.toFixed(1),
    ratio: (r.median / base.median).toFixed(2),
  }));

  const date = new Date().toISOString().slice(0, 10);
  console.log(`cli-startup: ${base.count} runs each with ${tool}; ${machine}`);
  console.log(formatTable(table));
  for (const n of notes) console.log(n);
  writeResults(table, { machine, date, tool, notes, count: base.count });
}

/**
 * hyperfine runs one command at a time, so load that comes and goes on a shared machine would
 * land on one row only. Several short rounds that alternate the rows spread it over all of them.
 */
function withHyperfine(list) {
  const out = join(configDir, 'hyperfine.json');
  const rounds = 5;
  const perRound = Math.max(2, Math.ceil(runs / rounds));
  const times = list.map(() => []);
  for (let round = 0; round < rounds; round++) {
    // One hyperfine call per row: rows need different environments.
    list.forEach((row, k) => {
      const command = [node, ...row.args].map(quote).join(' ');
      const args = [
        '--warmup',
        '2',
        '--runs',
        String(perRound),
        '-N',
        '--style',
        'none',
        '--export-json',
        out,
      ];
      execFileSync('hyperfine', [...args, '-n', row.name, command], {
        env: row.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const [r] = JSON.parse(readFileSync(out, 'utf8')).results;
      times[k].push(...r.times.map((t) => t * 1000));
    });
  }
  return list.map((row, k) => summarize(row.name, times[k]));
}

function summarize(name, values) {
  const xs = [...values].sort((a, b) => a - b);
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { name, mean: xs.reduce((a, b) => a + b, 0) / xs.length, median, count: xs.length };
}

function withNodeLoop(list) {
  const times = list.map(() => []);
  for (let i = 0; i < runs + 3; i++) {
    list.forEach((row, k) => {
      const t = process.hrtime.bigint();
      spawnSync(node, row.args, { env: row.env, stdio: 'ignore' });
      if (i >= 3) times[k].push(Number(process.hrtime.bigint() - t) / 1e6); // 3 warm-up rounds
    });
  }
  return list.map((row, k) => summarize(row.name, times[k]));
}

function quote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

function describeMachine() {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) model = line.split(':')[1].trim();
  } catch {
    // not Linux: os.cpus() is good enough
  }
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(cpus().length);
  // The load average says how much other work shared the machine during the run.
  return `${nproc} CPUs, ${model}, Node ${process.version}, load average ${loadavg()[0].toFixed(2)} at start`;
}

function formatTable(list) {
  const headers = ['command', 'mean ms', 'median ms', 'vs node -e 0'];
  const cells = list.map((r) => [r.command, r.mean, r.median, `${r.ratio}×`]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n');
}

/** A table with padded columns (as `biome format` leaves it), the first left-aligned, the rest right. */
function markdownTable(headers, rows) {
  const widths = headers.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i].length)));
  const pad = (v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]));
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [
    line(headers.map((h, i) => h.padEnd(widths[i]))),
    line(widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`))),
    ...rows.map((r) => line(r.map(pad))),
  ];
}

function writeResults(list, { machine, date, tool, notes, count }) {
  const file = join(root, 'bench', 'RESULTS.md');
  const lines = [
    '## cli-startup',
    '',
    `${date}, ${machine}; ${count} runs per row with ${tool}. Target (issue): \`latch --version\` at most 1.5× \`node -e 0\`.`,
    '',
    ...markdownTable(
      ['command', 'mean ms', 'median ms', 'vs `node -e 0` (median)'],
      list.map((r) => [`\`${r.command}\``, r.mean, r.median, `${r.ratio}×`]),
    ),
    ...(notes.length ? ['', ...notes] : []),
    '',
  ];
  const section = lines.join('\n');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n';
  const start = current.indexOf('## cli-startup');
  let next;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const after = current.indexOf('\n## ', start + 1);
    next = current.slice(0, start) + section + (after === -1 ? '' : `\n${current.slice(after + 1)}`);
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
  console.log(`Wrote the cli-startup section of ${relative(root, file)}.`);
}
