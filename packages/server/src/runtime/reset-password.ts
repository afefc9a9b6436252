import path from 'node:path';
import { AppError } from '@latchkey/core';
import { systemClock } from '../clock.js';
import { createOperatorResetLink } from '../services/identity/password-reset.service.js';
import { openOperatorDatabase } from './operator-database.js';
import { Resources } from './resources.js';
import { DEFAULT_HOST, DEFAULT_PORT, localUrl } from './settings.js';
import { StartupError } from './startup-error.js';

export type ResetPasswordOptions = { email: string; dataDir?: string };
export type ResetPasswordResult = { link: string; email: string; expiresAt: string; database: string };

type Env = Record<string, string | undefined>;

/** Where people reach the server: LATCH_PUBLIC_URL, else the address `latch server` would listen on. */
function publicUrlOf(env: Env): string {
  const given = env.LATCH_PUBLIC_URL?.trim();
  if (given) return given.replace(/\/+$/, '');
  const port = Number(env.LATCH_PORT?.trim() || DEFAULT_PORT);
  return localUrl(env.LATCH_HOST?.trim() || DEFAULT_HOST, port || DEFAULT_PORT);
}

/**
 * `latch server reset-password <email>`: a one-time link (24 hours) that lets the account choose
 * a new password, for an operator to hand over when the server cannot email one. Runs next to the
 * database, like rotate-master-key: whoever can run it can read the database anyway.
 */
export async function resetPasswordCommand(
  opts: ResetPasswordOptions,
  env: Env = process.env,
): Promise<ResetPasswordResult> {
  const dataDir = path.resolve(opts.dataDir ?? env.LATCH_DATA_DIR ?? '.latch/data');
  const resources = new Resources();
  try {
    const { database, label } = await openOperatorDatabase(dataDir, env, resources);
    // Never create tables here: a wrong URL must not turn someone else's database into ours.
    const { rows } = await database.pool.query("SELECT to_regclass('public.password_resets') AS t");
    if (!rows[0]?.t) {
      throw new StartupError(
        `${label} holds no Latchkey accounts (or needs a server start to migrate); nothing was changed. Check the database URL.`,
      );
    }
    const issued = await createOperatorResetLink(
      database.db,
      systemClock,
      publicUrlOf(env),
      opts.email,
    ).catch((err) => {
      if (err instanceof AppError) throw new StartupError(`${err.message} ${err.hint ?? ''}`.trim());
      throw err;
    });
    return { ...issued, expiresAt: issued.expiresAt.toISOString(), database: label };
  } finally {
    await resources.releaseAll();
  }
}
