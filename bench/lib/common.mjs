// What the benchmarks share: where their PostgreSQL comes from, how the machine is described, how
// they start and stop their processes, the numbers' helpers, and how each one rewrites its own
// section of bench/RESULTS.md.
import { execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function reachable(url) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * A superuser URL: LATCH_BENCH_DATABASE_URL, else the machine's PostgreSQL at 127.0.0.1:5432,
 * else an embedded one started in `work` (stopped by the returned `stop`).
 */
export async function adminDatabase(work) {
  const given = process.env.LATCH_BENCH_DATABASE_URL;
  if (given) return { url: given, label: 'LATCH_BENCH_DATABASE_URL', stop: async () => {} };
  const machine = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await reachable(machine))
    return { url: machine, label: 'PostgreSQL at 127.0.0.1:5432', stop: async () => {} };
  const { startEmbeddedPostgres } = await import('../../packages/server/dist/index.js').catch(() => ({}));
  if (!startEmbeddedPostgres)
    throw new Error('No PostgreSQL: set LATCH_BENCH_DATABASE_URL or start one on 127.0.0.1:5432.');
  const server = await startEmbeddedPostgres({ dataDir: join(work, 'pg'), database: 'postgres' });
  return { url: server.adminUrl, label: 'embedded PostgreSQL', stop: server.stop };
}

export async function adminQuery(url, text) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

/** The same server URL with another database. */
export function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Read before the runs: the load average then says how busy the machine was with other work. */
export function describeMachine() {
  const model = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${cpus().length} CPUs, ${model}, Node ${process.version}, load average ${loadavg()[0].toFixed(2)} at start`;
}

/**
 * A benchmark's start: the machine's description (read first, so its load average is the other
 * work's), a scratch folder `work`, a superuser PostgreSQL `admin` (adminDatabase) and on it a
 * fresh database `name` at `url`. `create(name)` makes another (its URL back). `cleanUp()`, for a
 * `finally` once the benchmark's processes are stopped, drops them all, stops an embedded
 * PostgreSQL and removes the folder.
 */
export async function benchDatabase(label) {
  const machine = describeMachine();
  const work = mkdtempSync(join(tmpdir(), `latch-bench-${label}-`));
  const made = [];
  let admin;
  const cleanUp = async () => {
    for (const db of made)
      await adminQuery(admin.url, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
    await admin?.stop();
    rmSync(work, { recursive: true, force: true });
  };
  const create = async (db) => {
    made.push(db);
    await adminQuery(admin.url, `CREATE DATABASE ${db}`);
    return withDatabase(admin.url, db);
  };
  try {
    admin = await adminDatabase(work);
    const name = `latch_bench_${label.replaceAll('-', '_')}_${randomBytes(4).toString('hex')}`;
    return { machine, work, admin, name, url: await create(name), create, cleanUp };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/**
 * A process's name and the CPU time (ms, every thread) it has used, from /proc/<pid>/stat: null
 * where there is no /proc or the process is gone.
 */
export function procCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name is in parentheses and may hold spaces; the fields after it are plain.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    // utime + stime, in 10 ms ticks
    return {
      name: stat.slice(stat.indexOf('(') + 1, close),
      ms: (Number(fields[11]) + Number(fields[12])) * 10,
    };
  } catch {
    return null;
  }
}

/** CPU time (ms) a process has used, from /proc: null where there is no /proc. */
export const cpuMs = (pid) => procCpu(pid)?.ms ?? null;

/** `uptime`'s line, recorded before and after the runs: the load averages while they ran. */
export const uptime = () => execSync('uptime').toString().trim();

/** The median (NaN for no values). */
export function median(values) {
  const v = [...values].sort((x, y) => x - y);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/** A number for the tables: thousands separated, `d` decimals. */
export const fmt = (n, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * Runs a TypeScript file (`file` from the repo root) with tsx and resolves, once it prints
 * `<marker> <json>` on a line, with the process (`child`) and that JSON. `source` (the default)
 * runs the packages from their sources, as the servers do; `source: false` uses the built ones,
 * as an app does. `stdin: 'pipe'` holds the child's stdin open, for the servers that go when it
 * closes (bench/verify-http/server.ts), so none outlives a killed run.
 */
export function startTs(file, { env = {}, marker = 'READY', source = true, stdin = 'ignore' } = {}) {
  const flags = source ? ['--conditions=source', '--import', 'tsx'] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...flags, join(root, file)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: [stdin, 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const line = new RegExp(`${marker} (\\{.*\\})\\n`).exec(out)?.[1];
      if (line) resolve({ child, ...JSON.parse(line) });
    });
    child.on('exit', (code) => reject(new Error(`${file} exited (${code}) before it was ready:\n${out}`)));
  });
}

/**
 * Runs a TypeScript file (from the repo root) from the packages' sources to its end and resolves
 * with the JSON of its `RESULT <json>` line; rejects if it fails or prints none. `echo` passes its
 * output on as it comes.
 */
export function runForResult(file, { env = {}, echo = false } = {}) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, file)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (echo) process.stdout.write(d);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const line = /RESULT (\{.*\})/.exec(out)?.[1];
      if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`${file} failed (exit ${code})${echo ? '' : `:\n${out}`}`));
    });
  });
}

/** SIGTERM to a process startTs started; resolves once it has gone (at once if it had, or for none). */
export function stopTs(proc) {
  return new Promise((resolve) => {
    if (!proc || proc.child.exitCode !== null) return resolve();
    proc.child.once('exit', () => resolve());
    proc.child.kill('SIGTERM');
  });
}

/** Replaces (or appends) the `## <name>` section of bench/RESULTS.md, leaving the others alone. */
export function writeResults(name, section) {
  const file = join(root, 'bench', 'RESULTS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = current.indexOf(`## ${name}\n`);
  let next;
  if (start === -1) next = `${current.trimEnd()}\n\n${section}`;
  else {
    const after = current.indexOf('\n## ', start + 1);
    next = current.slice(0, start) + section + (after === -1 ? '' : `\n${current.slice(after + 1)}`);
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
  console.log(`Wrote the ${name} section of ${relative(root, file)}.`);
}
