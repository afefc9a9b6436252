import { MINUTE } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import * as repo from './api-keys.repo.js';

/** At most one last-used write per key per minute (SPEC 2), batched. */
const EVERY_MS = MINUTE;
const FLUSH_EVERY_MS = 5_000;
const MAX_TRACKED = 100_000;

export type LastUsedRecorder = ReturnType<typeof createLastUsedRecorder>;

/**
 * Verification never writes to the database on its own path: it notes the use in memory, and a
 * background timer writes what is pending in one statement. Losing the last few seconds of
 * "last used" on a crash is acceptable; making every verification wait for a write is not.
 */
export function createLastUsedRecorder({
  db,
  clock,
  log,
}: {
  db: Db;
  clock: Clock;
  log?: (err: unknown) => void;
}) {
  const written = new Map<string, number>();
  let pending = new Map<string, Date>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;

  async function flush(): Promise<void> {
    await flushing;
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    flushing = repo
      .touchLastUsed(
        db,
        [...batch].map(([id, at]) => ({ id, at })),
      )
      .catch((err) => {
        // Let these keys try again at their next use rather than a minute later.
        for (const id of batch.keys()) written.delete(id);
        log?.(err);
      })
      .finally(() => {
        flushing = undefined;
      });
    await flushing;
  }

  return {
    /** `at`: epoch ms, when the caller already read the clock (verification has). */
    touch(keyId: string, at: number = clock.now().getTime()): void {
      const last = written.get(keyId);
      if (last !== undefined && at - last < EVERY_MS) return;
      // Forgetting everyone at once only costs one extra write per key; it bounds memory.
      if (written.size >= MAX_TRACKED) written.clear();
      written.set(keyId, at);
      pending.set(keyId, new Date(at));
      if (!timer && !closed) {
        timer = setInterval(() => void flush(), FLUSH_EVERY_MS);
        timer.unref();
      }
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
