// What the benchmarks share: where their PostgreSQL comes from, how the machine is described, and
// how each one rewrites its own section of bench/RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
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
