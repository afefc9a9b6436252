import { createUseThrottle } from '@latchkey/core';
import type { Clock } from '../clock.js';
import type { Db } from '../store/db.js';
import * as apiKeysRepo from './api-keys/api-keys.repo.js';
import * as tokensRepo from './tokens/tokens.repo.js';

const FLUSH_EVERY_MS = 5_000;
/**
 * Rows per statement. A busy node has thousands of first uses pending after 5 s (every new key it
 * verifies is one); one statement for all of them would hold the event loop while its JSON is
 * built and a database core while it runs, and every request in flight would wait behind it.
 */
const FLUSH_CHUNK = 500;

/** Which table the credential lives in: app API keys, or PATs and org keys. */
export type CredentialTable = 'api_key' | 'token';
type Use = { id: string; at: Date };

export type LastUsedRecorder = ReturnType<typeof createLastUsedRecorder>;

/**
 * The one place uses of any credential are recorded: platform authentication, app-key
 * verification and SDK usage reports all report here, so the once-a-minute rule (core's
 * throttle) holds per credential whoever reports the use.
 *
 * Request paths never write: they note the use in memory, and a background timer writes what is
 * pending in one statement per table. Losing the last few seconds of "last used" on a crash is
 * acceptable; making every request wait for a write is not.
 */
export function createLastUsedRecorder({
  db,
  clock,
  log,
}: {
  db: Db;
  clock: Clock;
  log?: ((err: unknown) => void) | undefined;
}) {
  const throttle = createUseThrottle();
  // Epoch ms, not Dates: thousands can be pending, and a number is the smaller thing to keep.
  let pending = { api_key: new Map<string, number>(), token: new Map<string, number>() };
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;

  function write(table: CredentialTable, uses: Use[]): Promise<unknown> {
    return table === 'api_key' ? apiKeysRepo.touchLastUsed(db, uses) : tokensRepo.touchLastUsed(db, uses);
  }

  async function flush(): Promise<void> {
    await flushing;
    if (pending.api_key.size === 0 && pending.token.size === 0) return;
    const batch = pending;
    pending = { api_key: new Map(), token: new Map() };
    flushing = Promise.all(
      (['api_key', 'token'] as const).map(async (table) => {
        const uses = [...batch[table]];
        for (let i = 0; i < uses.length; i += FLUSH_CHUNK) {
          const chunk = uses.slice(i, i + FLUSH_CHUNK);
          try {
            await write(
              table,
              chunk.map(([id, at]) => ({ id, at: new Date(at) })),
            );
          } catch (err) {
            // Let these credentials try again at their next use rather than a minute later; the
            // rest of the batch would most likely fail the same way (the database is away).
            for (const [id] of uses.slice(i)) throttle.forget(id);
            log?.(err);
            return;
          }
        }
      }),
    )
      .then(() => {})
      .finally(() => {
        flushing = undefined;
      });
    await flushing;
  }

  return {
    /** One use, written later. `at`: epoch ms, when the caller already read the clock. */
    touch(table: CredentialTable, id: string, at: number = clock.now().getTime()): void {
      if (!throttle.take(id, at)) return;
      pending[table].set(id, at);
      if (!timer && !closed) {
        timer = setInterval(() => void flush(), FLUSH_EVERY_MS);
        timer.unref();
      }
    },

    /**
     * Uses of a project's app keys reported by an SDK, written now (the report answers how many
     * moved). Ids outside the project change nothing and do not count as written, so a report
     * naming someone else's key cannot hold back that key's own last-used.
     */
    async reportNow(projectId: string, uses: Use[]): Promise<number> {
      const due = uses.filter((u) => throttle.take(u.id, u.at.getTime()));
      if (due.length === 0) return 0;
      const moved = new Set(await apiKeysRepo.touchLastUsed(db, due, projectId));
      for (const u of due) if (!moved.has(u.id)) throttle.forget(u.id);
      return moved.size;
    },

    flush,
    async close(): Promise<void> {
      closed = true;
      clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}
