import { readFile } from 'node:fs/promises';
import { AppError } from '@latchkey/core';
import { eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../store/db.js';
import { environmentKeys } from '../../store/schema.js';
import { newDataKey, unwrapDataKey, wrapDataKey } from './crypto.js';
import { compareMasterKey } from './master-key.js';

export type Keyring = ReturnType<typeof createKeyring>;
export type EnvironmentKeyRef = { id: string; orgId: string };

/** Unwrapped data keys kept in memory; bounded so a server with very many environments stays small. */
const CACHE_LIMIT = 10_000;

function noMasterKey(): AppError {
  return new AppError('INTERNAL', 'This server has no master key, so it cannot store or read secrets.', {
    hint: 'Start it with LATCH_MASTER_KEY set (32 random bytes, base64).',
  });
}

function rotatedUnderUs(): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    'The master key was rotated while this server was running; it can serve existing secrets but not create new data keys.',
    { hint: 'Restart this server with the new LATCH_MASTER_KEY.' },
  );
}

/**
 * Data keys per environment. A data key never changes once made (master-key rotation only
 * re-wraps it), so an unwrapped key is cached for the life of the process; that is what lets a
 * running server keep serving through a rotation. `keyFile` (dev: <data dir>/master.key) is read
 * again when the stored key check no longer matches, so a dev server follows a rotation by itself.
 */
export function createKeyring({
  db,
  masterKey,
  keyFile,
}: {
  db: Db;
  masterKey: Buffer | null;
  keyFile?: string | null;
}) {
  let current = masterKey;
  const cache = new Map<string, Buffer>();

  function remember(environmentId: string, key: Buffer): Buffer {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(environmentId, key);
    return key;
  }

  /** After a rotation, the dev key file holds the new key; production keeps its key until restart. */
  async function reload(): Promise<boolean> {
    if (!keyFile) return false;
    const text = await readFile(keyFile, 'utf8').catch(() => null);
    const key = Buffer.from(text?.trim() ?? '', 'base64');
    if (key.length !== 32 || current?.equals(key)) return false;
    current = key;
    return true;
  }

  function unwrap(wrapped: Buffer, env: EnvironmentKeyRef, where: string): Buffer {
    if (!current) throw noMasterKey();
    return unwrapDataKey(current, wrapped, { orgId: env.orgId, environmentId: env.id }, where);
  }

  async function existing(tx: DbOrTx, env: EnvironmentKeyRef, where: string): Promise<Buffer | null> {
    const [row] = await tx
      .select({ wrapped: environmentKeys.wrappedKey })
      .from(environmentKeys)
      .where(eq(environmentKeys.environmentId, env.id));
    if (!row) return null;
    try {
      return remember(env.id, unwrap(row.wrapped, env, where));
    } catch (err) {
      if (!(await reload())) throw err;
      return remember(env.id, unwrap(row.wrapped, env, where));
    }
  }

  return {
    /** The environment's data key, or null when it has none yet (nothing was ever stored there). */
    async find(tx: DbOrTx, env: EnvironmentKeyRef, where: string): Promise<Buffer | null> {
      return cache.get(env.id) ?? (await existing(tx, env, where));
    },

    /**
     * The data key, made and wrapped on first use. Runs inside the caller's transaction, with the
     * master key check held FOR SHARE until it commits (see rotateMasterKey).
     */
    async obtain(tx: DbOrTx, env: EnvironmentKeyRef, where: string): Promise<Buffer> {
      const known = cache.get(env.id) ?? (await existing(tx, env, where));
      if (known) return known;
      if (!current) throw noMasterKey();
      if ((await compareMasterKey(tx, current, { lock: 'share' })) === 'mismatch') {
        if (!(await reload()) || (await compareMasterKey(tx, current, { lock: 'share' })) === 'mismatch') {
          throw rotatedUnderUs();
        }
      }
      const key = newDataKey();
      const inserted = await tx
        .insert(environmentKeys)
        .values({
          environmentId: env.id,
          orgId: env.orgId,
          wrappedKey: wrapDataKey(current, key, { orgId: env.orgId, environmentId: env.id }),
        })
        .onConflictDoNothing()
        .returning({ id: environmentKeys.environmentId });
      // Another transaction made it first (it committed before our insert returned): use theirs.
      if (inserted.length === 0) return (await existing(tx, env, where))!;
      return remember(env.id, key);
    },

    /**
     * Unwraps every data key into the cache at start-up, so this process can serve all existing
     * environments even if the master key is rotated while it runs. Keys that do not open are
     * skipped here; start-up's key check is what refuses a wrong master key.
     */
    async warm(): Promise<number> {
      if (!current) return 0;
      const rows = await db.select().from(environmentKeys);
      for (const r of rows) {
        try {
          remember(
            r.environmentId,
            unwrap(r.wrappedKey, { id: r.environmentId, orgId: r.orgId }, r.environmentId),
          );
        } catch {}
      }
      return cache.size;
    },

    /** Drops a deleted environment's key from memory. */
    forget(environmentId: string): void {
      cache.delete(environmentId);
    },
  };
}
