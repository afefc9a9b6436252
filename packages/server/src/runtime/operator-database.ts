import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Database, openDatabase } from '../store/db.js';
import { startEmbeddedPostgres } from '../store/embedded.js';
import { isPostmasterOf } from '../store/embedded-process.js';
import { lockDataDir } from './lock-file.js';
import type { Resources } from './resources.js';
import { describeDatabaseTarget, StartupError } from './startup-error.js';

type Env = Record<string, string | undefined>;

/**
 * The embedded PostgreSQL of a data folder. A server running on it keeps running (rotation works
 * online): we connect to its postgres, found from postmaster.pid. Otherwise we take the folder's
 * lock and start postgres ourselves for the duration.
 */
async function embeddedDatabase(
  dataDir: string,
  resources: Resources,
): Promise<{ url: string; label: string }> {
  const pgDir = path.join(dataDir, 'pg');
  const pidFile = await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const [pid, , , port] = pidFile?.split('\n') ?? [];
  if (pid && port && (await isPostmasterOf(Number(pid), pgDir))) {
    const password = (await readFile(path.join(dataDir, 'pg-password'), 'utf8')).trim();
    return {
      url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${Number(port)}/latch`,
      label: `the running embedded PostgreSQL in ${pgDir}`,
    };
  }
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    throw new StartupError(`No Latchkey database in ${dataDir}. Pass --data-dir, or set DATABASE_URL.`);
  }
  const lock = await lockDataDir(dataDir, 'Latchkey server');
  resources.add('lock file', lock.release);
  const pg = await startEmbeddedPostgres({ dataDir, takeOverStray: true });
  resources.add('embedded PostgreSQL', pg.stop);
  return { url: pg.url, label: `the embedded PostgreSQL in ${pgDir}` };
}

/**
 * The database the server of this data folder uses: LATCH_DATABASE_URL, else the embedded one when
 * the folder has it (as `latch dev` ignores DATABASE_URL), else DATABASE_URL (`latch server`).
 */
function externalUrl(env: Env, dataDir: string): string | null {
  const latch = env.LATCH_DATABASE_URL?.trim();
  if (latch) return latch;
  if (existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))) return null;
  return env.DATABASE_URL?.trim() || null;
}

/**
 * The database of the server that runs on `dataDir` (or DATABASE_URL), for the operator commands
 * under `latch server` that work next to the database rather than through the API.
 */
export async function openOperatorDatabase(
  dataDir: string,
  env: Env,
  resources: Resources,
): Promise<{ database: Database; label: string }> {
  const external = externalUrl(env, dataDir);
  const target = external
    ? { url: external, label: `PostgreSQL at ${describeDatabaseTarget(external)}` }
    : await embeddedDatabase(dataDir, resources);
  const database = openDatabase(target.url, { max: 1 });
  resources.add('database pool', database.close);
  return { database, label: target.label };
}
