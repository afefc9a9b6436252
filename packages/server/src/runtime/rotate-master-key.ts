import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { masterKeyId } from '../services/secrets/crypto.js';
import { MasterKeyMismatch, rotateMasterKey } from '../services/secrets/master-key.js';
import { masterKeyFromEnv } from './master-key.js';
import { openOperatorDatabase } from './operator-database.js';
import { Resources } from './resources.js';
import { StartupError } from './startup-error.js';

export type RotateOptions = { newKeyFile: string; dataDir?: string };
export type RotateResult = {
  rewrapped: number;
  webhookSecrets: number;
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
    const { database, label } = await openOperatorDatabase(dataDir, env, resources);
    const target = { label };
    // Never create tables here: a wrong URL must not turn someone else's database into ours.
    const { rows } = await database.pool.query("SELECT to_regclass('public.environment_keys') AS t");
    if (!rows[0]?.t) {
      throw new StartupError(
        `${target.label} holds no Latchkey secrets tables; nothing was changed. Check the database URL.`,
      );
    }
    const { rewrapped, webhookSecrets } = await rotateMasterKey(database.db, oldKey, newKey).catch((err) => {
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
    return { rewrapped, webhookSecrets, keyId: masterKeyId(newKey), keyFileUpdated, database: target.label };
  } finally {
    await resources.releaseAll();
  }
}
