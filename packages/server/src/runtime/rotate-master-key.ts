import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { masterKeyId } from '../services/secrets/crypto.js';
import { MasterKeyMismatch, rotateMasterKey } from '../services/secrets/master-key.js';
import { openDatabase } from '../store/db.js';
import { startEmbeddedPostgres } from '../store/embedded.js';
import { isPostmasterOf } from '../store/embedded-process.js';
import { lockDataDir } from './lock-file.js';
import { masterKeyFromEnv } from './master-key.js';
import { Resources } from './resources.js';
import { describeDatabaseTarget, StartupError } from './startup-error.js';

export type RotateOptions = { newKeyFile: string; dataDir?: string };
export type RotateResult = {
  rewrapped: number;
  keyId: string;
  keyFileUpdated: string | null;
  database: string;
};

type Env = Record<string, string | undefined>;

async function readKeyFile(file: string): Promise<Buffer> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new StartupError(`Cannot read ${file} (${err.code ?? err.message}).`);
  });
  const value = text.trim();
  const key = Buffer.from(/^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? value : '', 'base64');
  if (key.length !== 32) {
    throw new StartupError(
      `${file} must hold the base64 of exactly 32 bytes (make one with: openssl rand -base64 32).`,
    );
  }
  return key;
}

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
 * `latch server rotate-master-key --new-key-file F`: re-wraps every environment's data key from
 * the current master key (LATCH_MASTER_KEY, or in a dev data folder its master.key) to the new
 * one, in one transaction. Servers keep running; restart them with the new key at leisure.
 */
export async function rotateMasterKeyCommand(
  opts: RotateOptions,
  env: Env = process.env,
): Promise<RotateResult> {
  const dataDir = path.resolve(opts.dataDir ?? env.LATCH_DATA_DIR ?? '.latch/data');
  const devKeyFile = path.join(dataDir, 'master.key');
  const fromEnv = Boolean(env.LATCH_MASTER_KEY?.trim());
  if (!fromEnv && !existsSync(devKeyFile)) {
    throw new StartupError(
      `Set LATCH_MASTER_KEY to the current master key (or pass --data-dir of a dev server, whose master.key is used).`,
    );
  }
  const oldKey = fromEnv ? masterKeyFromEnv(env.LATCH_MASTER_KEY) : await readKeyFile(devKeyFile);
  const newKey = await readKeyFile(path.resolve(opts.newKeyFile));
  if (newKey.equals(oldKey))
    throw new StartupError('The new master key is the current one: nothing to rotate.');

  const resources = new Resources();
  try {
    const external = externalUrl(env, dataDir);
    const target = external
      ? { url: external, label: `PostgreSQL at ${describeDatabaseTarget(external)}` }
      : await embeddedDatabase(dataDir, resources);
    const database = openDatabase(target.url, { max: 1 });
    resources.add('database pool', database.close);
    // Never create tables here: a wrong URL must not turn someone else's database into ours.
    const { rows } = await database.pool.query("SELECT to_regclass('public.environment_keys') AS t");
    if (!rows[0]?.t) {
      throw new StartupError(
        `${target.label} holds no Latchkey secrets tables; nothing was changed. Check the database URL.`,
      );
    }
    const { rewrapped } = await rotateMasterKey(database.db, oldKey, newKey).catch((err) => {
      if (err instanceof MasterKeyMismatch) {
        throw new StartupError(
          `${fromEnv ? 'LATCH_MASTER_KEY' : devKeyFile} (key id ${masterKeyId(oldKey)}) is not the master key of ${target.label}; nothing was changed.`,
        );
      }
      throw err;
    });
    let keyFileUpdated: string | null = null;
    if (!fromEnv) {
      // The dev server reads this file: after the commit above, only the new key opens anything.
      await writeFile(`${devKeyFile}.new`, `${newKey.toString('base64')}\n`, { mode: 0o600 });
      await rename(`${devKeyFile}.new`, devKeyFile);
      keyFileUpdated = devKeyFile;
    }
    return { rewrapped, keyId: masterKeyId(newKey), keyFileUpdated, database: target.label };
  } finally {
    await resources.releaseAll();
  }
}
