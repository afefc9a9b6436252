import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeReferences,
  formatDotenv,
  parseDotenv,
  secretNameError,
  secretValueError,
  utf8Length,
} from '../src/index.js';

describe('secret names and values', () => {
  it('accepts UPPER_SNAKE_CASE only, and says the rule', () => {
    for (const ok of ['A', 'STRIPE_SECRET_KEY', 'A1_B2', 'X__Y_']) expect(secretNameError(ok)).toBeNull();
    for (const bad of ['a', '1A', '_A', 'A-B', 'A B', '', 'Ä']) {
      expect(secretNameError(bad)).toContain('UPPER_SNAKE_CASE (^[A-Z][A-Z0-9_]*$)');
    }
    expect(secretNameError('stripe-key')).toContain('try "STRIPE_KEY"');
    expect(secretNameError('A'.repeat(257))).toContain('at most 256');
  });

  it('limits values to 64 KiB of UTF-8, counted without Buffer', () => {
    expect(secretValueError('x'.repeat(65536))).toBeNull();
    expect(secretValueError('x'.repeat(65537))).toContain('at most 64 KiB');
    expect(secretValueError('é'.repeat(32769))).toContain('65538 bytes');
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        (s) => utf8Length(s) === new TextEncoder().encode(s).length,
      ),
    );
  });
});

describe('.env parsing', () => {
  it('reads comments, export, quotes, escapes, inline comments and multi-line values', () => {
    const { entries, issues } = parseDotenv(
      [
        '\uFEFF# header',
        'export PLAIN=value # comment',
        'SPACED =  padded value  ',
        "SINGLE='keeps \\n and # and $HOME'",
        'DOUBLE="line1\\nline2 \\"quoted\\" \\$5"',
        'MULTI="first',
        'second"',
        'EMPTY=',
        'URL=postgres://u:p@h:5432/db?ssl=true#frag',
      ].join('\r\n'),
    );
    expect(issues).toEqual([]);
    expect(Object.fromEntries(entries.map((e) => [e.name, e.value]))).toEqual({
      PLAIN: 'value',
      SPACED: 'padded value',
      SINGLE: 'keeps \\n and # and $HOME',
      DOUBLE: 'line1\nline2 "quoted" $5',
      MULTI: 'first\nsecond',
      EMPTY: '',
      URL: 'postgres://u:p@h:5432/db?ssl=true#frag',
    });
    expect(entries.find((e) => e.name === 'EMPTY')?.line).toBe(8);
  });

  it('reports every problem with its line number', () => {
    const { issues } = parseDotenv('OK=1\nlower=2\njust words\nOK=3\nQ="never closed\nX=1');
    expect(issues.map((i) => i.line)).toEqual([2, 3, 4, 5]);
    expect(issues[0]!.message).toContain('not a valid secret name');
    expect(issues[1]!.message).toBe('expected NAME=value');
    expect(issues[2]!.message).toBe('OK is already set on line 1');
    expect(issues[3]!.message).toContain('never closed');
  });

  it('format then parse gives back any values, with a literal ${ escaped as a reference escape', () => {
    const name = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/);
    const value = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((v) => !v.includes('\0'));
    fc.assert(
      fc.property(fc.dictionary(name, value), (values) => {
        const { entries, issues } = parseDotenv(formatDotenv(values));
        expect(issues).toEqual([]);
        const escaped = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeReferences(v)]));
        expect(Object.fromEntries(entries.map((e) => [e.name, e.value]))).toEqual(escaped);
      }),
    );
  });
});
