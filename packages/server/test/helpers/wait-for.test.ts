import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('answers the first truthy value of a sync or async condition', async () => {
    let n = 0;
    expect(await waitFor('three', () => ++n >= 3 && n)).toBe(3);
    let m = 0;
    expect(await waitFor('three, async', async () => ++m >= 3 && m)).toBe(3);
  });

  it('throws, naming what it waited for, when the condition never holds', async () => {
    await expect(waitFor('never', () => false, 120)).rejects.toThrow('timed out waiting for never');
    // The promise of an async condition is truthy: it must be awaited, not taken as the answer.
    await expect(waitFor('never, async', async () => false, 120)).rejects.toThrow(
      'timed out waiting for never, async',
    );
  });
});
