import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INT4_MAX, isStorableText, PositiveInt4, StorableJsonObject, TEXT_RULE, Text } from '../src/index.js';

describe('the one request string schema', () => {
  it('accepts any well-formed text without NUL, surrogate pairs included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const clean = s.replaceAll('\0', '');
        expect(Text.safeParse(clean).success).toBe(true);
      }),
    );
    expect(Text.safeParse('emoji 😀 and ü').success).toBe(true);
  });

  it('refuses a NUL byte or an unpaired surrogate anywhere, with the rule as its message', () => {
    const bad = fc.constantFrom('\0', '\ud800', '\udfff', '\udc00\ud800');
    fc.assert(
      fc.property(fc.string(), bad, fc.string(), (a, b, c) => {
        const result = Text.safeParse(`${a.replaceAll('\0', '')}${b}${c.replaceAll('\0', '')}`);
        expect(result.success).toBe(false);
        expect(result.error?.issues[0]?.message).toBe(TEXT_RULE);
      }),
    );
    expect(isStorableText('a\ud83d\ude00b')).toBe(true);
    expect(isStorableText('a\ude00\ud83db')).toBe(false);
  });

  it('keeps working when chained like z.string()', () => {
    const name = Text.trim().min(1).max(5);
    expect(name.parse('  ab  ')).toBe('ab');
    expect(name.safeParse(' a\0 ').success).toBe(false);
  });
});

describe('stored JSON objects (manifests)', () => {
  it('refuses NUL or a lone surrogate in any key or string, however deep, and names the path', () => {
    const deep = { apiKeys: { scopes: { read: { description: 'x\u0000' } } } };
    const result = StorableJsonObject.safeParse(deep);
    expect(result.error?.issues[0]).toMatchObject({
      message: TEXT_RULE,
      path: ['apiKeys', 'scopes', 'read', 'description'],
    });
    expect(StorableJsonObject.safeParse({ routes: [{ ['k\ud800']: 1 }] }).success).toBe(false);
    expect(StorableJsonObject.safeParse({ routes: [{ k: ['ok', 1, null] }] }).success).toBe(true);
  });
});

describe('integers stored in PostgreSQL integer columns', () => {
  it('stop at 2^31 - 1', () => {
    expect(PositiveInt4.safeParse(INT4_MAX).success).toBe(true);
    expect(PositiveInt4.safeParse(INT4_MAX + 1).success).toBe(false);
    expect(PositiveInt4.safeParse(0).success).toBe(false);
  });
});
