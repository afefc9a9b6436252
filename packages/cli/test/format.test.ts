import { describe, expect, it } from 'vitest';
import { dateTime, relative } from '../src/lib/format.js';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();
const HOUR = 3_600_000;

describe('times and durations', () => {
  it('expiries show the date and the time in UTC (a 1-hour token is not just a date)', () => {
    expect(dateTime(at(HOUR))).toBe('2026-06-01 13:00 UTC');
    expect(dateTime(null)).toBe('never');
  });

  it('durations round to the nearest unit: a 24 h grace read a moment later is 24 hours', () => {
    expect(relative(at(24 * HOUR - 1500), NOW)).toBe('in 24 hours');
    expect(relative(at(90 * 60_000 - 1000), NOW)).toBe('in 1 hour');
    expect(relative(at(-(2 * HOUR + 40 * 60_000)), NOW)).toBe('3 hours ago');
    expect(relative(at(47 * HOUR), NOW)).toBe('in 2 days');
    expect(relative(at(30_000), NOW)).toBe('in under a minute');
  });
});
