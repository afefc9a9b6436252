import { MINUTE } from '../durations.js';

/** SPEC 2: last used is written at most once a minute per credential, whoever reports the use. */
export const LAST_USED_EVERY = MINUTE;

/**
 * Decides which reported uses are worth a write: at most one per credential per `everyMs`,
 * whichever path reports it. Memory is bounded: past `maxTracked`, everyone is forgotten at once,
 * which only costs one extra write per credential.
 */
export function createUseThrottle({ everyMs = LAST_USED_EVERY, maxTracked = 100_000 } = {}) {
  const written = new Map<string, number>();
  return {
    /** true when this use (epoch ms) is due a write; the write is then counted as done. */
    take(id: string, at: number): boolean {
      const last = written.get(id);
      // An earlier use than the last written one (a late report) is never due either.
      if (last !== undefined && at - last < everyMs) return false;
      if (written.size >= maxTracked) written.clear();
      written.set(id, at);
      return true;
    },
    /** The write failed: let the next use try again rather than a minute later. */
    forget(id: string): void {
      written.delete(id);
    },
    get size(): number {
      return written.size;
    },
  };
}

export type UseThrottle = ReturnType<typeof createUseThrottle>;
