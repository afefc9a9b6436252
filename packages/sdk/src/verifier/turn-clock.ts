export const READS_PER_TURN_EVERY = 256;

/**
 * The time cache hits are judged by. Reading the system clock costs about a tenth of a cached
 * verification, so it is read once per event-loop turn and again every 256 hits within a turn:
 * a cached answer can outlive its end by at most 256 hits of one turn (well under a
 * millisecond). Misses, and an injected clock, read the clock every time.
 */
export function createTurnClock(read: () => number = Date.now): () => number {
  let now = 0;
  let left = 0;
  let scheduled = false;
  const nextTurn = () => {
    scheduled = false;
    left = 0;
  };
  return () => {
    if (left > 0) {
      left--;
      return now;
    }
    now = read();
    left = READS_PER_TURN_EVERY - 1;
    if (!scheduled) {
      scheduled = true;
      setImmediate(nextTurn);
    }
    return now;
  };
}
