import { describe, expect, it } from 'vitest';
import { dateTime, relative, table, truncateWords } from '../src/lib/format.js';
import { testIo } from './helpers.js';

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

describe('tables fit the terminal', () => {
  const headers = ['ID', 'NAME', 'SCOPES'];
  const rows = [
    ['key_01HZX8', 'GitHub Actions deploys for the storefront', 'deploy:write secrets:read'],
    ['key_02ABCD', 'laptop', 'org:read'],
  ];

  it('without a width every column is shown in full (pipes, --wide)', () => {
    expect(table(headers, rows).split('\n')[1]).toBe(
      'key_01HZX8  GitHub Actions deploys for the storefront  deploy:write secrets:read',
    );
  });

  it('shrinks the widest columns, cutting cells after a whole word, never an id or a word', () => {
    const lines = table(headers, rows, undefined, 50).split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(50);
    expect(lines[1]).toMatch(/^key_01HZX8 {2}GitHub Actions\S*… {2,}deploy:write…$/);
    // Every shown word is a whole word of the original cell.
    const words = new Set(rows[0]!.join(' ').split(' '));
    for (const w of lines[1]!.replace(/…/g, '').split(/\s+/)) expect(words.has(w), w).toBe(true);
    expect(lines[2]).toMatch(/^key_02ABCD {2}laptop\s+org:read$/);
  });

  it('keeps a word whole even when the terminal is narrower than the table can get', () => {
    const lines = table(['ID', 'N'], [['key_0123456789', 'a b']], undefined, 5).split('\n');
    expect(lines[1]).toBe('key_0123456789  a…');
    expect(truncateWords('one two three', 9)).toBe('one two…');
    expect(truncateWords('short', 9)).toBe('short');
  });

  it('io.table uses COLUMNS, and --wide turns fitting off', () => {
    expect(
      testIo({}, { env: { COLUMNS: '50' } })
        .table(headers, rows)
        .split('\n')[1]!.length,
    ).toBeLessThanOrEqual(50);
    expect(testIo({ wide: true }, { env: { COLUMNS: '50' } }).table(headers, rows)).toBe(
      table(headers, rows),
    );
    expect(testIo({}, {}).columns).toBeUndefined();
  });
});
