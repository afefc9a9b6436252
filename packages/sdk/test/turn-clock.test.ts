import { describe, expect, it } from 'vitest';
import { createTurnClock, READS_PER_TURN_EVERY } from '../src/verifier/turn-clock.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('the clock cache hits are judged by', () => {
  it('reads the clock once per turn and again every 256 hits, and afresh in the next turn', async () => {
    let reads = 0;
    let time = 1000;
    const now = createTurnClock(() => {
      reads++;
      return time;
    });
    expect(now()).toBe(1000);
    time = 2000;
    for (let i = 1; i < READS_PER_TURN_EVERY; i++) expect(now()).toBe(1000);
    expect(reads).toBe(1);
    expect(now()).toBe(2000); // the 257th hit of the turn reads again
    expect(reads).toBe(2);
    time = 3000;
    await Promise.resolve(); // a microtask is the same turn
    expect(now()).toBe(2000);
    await nextTurn();
    expect(now()).toBe(3000);
    expect(reads).toBe(3);
  });
});
