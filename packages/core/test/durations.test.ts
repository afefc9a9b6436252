import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DAY,
  EXPIRY_BOUNDS,
  formatDuration,
  HOUR,
  MINUTE,
  parseBoundedDuration,
  parseDuration,
} from '../src/index.js';

describe('durations', () => {
  it('parses units and bare day counts', () => {
    expect(parseDuration('90d')).toBe(90 * DAY);
    expect(parseDuration('12h')).toBe(12 * HOUR);
    expect(parseDuration('30m')).toBe(30 * MINUTE);
    expect(parseDuration('30')).toBe(30 * DAY);
    expect(parseDuration(7)).toBe(7 * DAY);
    expect(parseDuration(' 2W ')).toBe(14 * DAY);
    for (const bad of ['', 'd', '-1d', '1.5d', '1y', '10 d', '1e3']) expect(parseDuration(bad)).toBeNull();
  });

  it('round-trips through formatDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9999 }), fc.constantFrom('s', 'm', 'h', 'd'), (n, unit) => {
        const ms = parseDuration(`${n}${unit}`)!;
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('enforces the bounds and says the rule', () => {
    expect(parseBoundedDuration('30m', EXPIRY_BOUNDS.key)).toEqual({
      ok: false,
      error: 'must be between 1h and 365d',
    });
    expect(parseBoundedDuration('366d', EXPIRY_BOUNDS.pat)).toEqual({ ok: true, ms: 366 * DAY });
    expect(parseBoundedDuration('367', EXPIRY_BOUNDS.pat).ok).toBe(false);
    expect(parseBoundedDuration('0', EXPIRY_BOUNDS.grace)).toEqual({ ok: true, ms: 0 });
    const bad = parseBoundedDuration('soon', EXPIRY_BOUNDS.key);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/not a duration/);
  });
});
