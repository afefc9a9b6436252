import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHECKSUM_LENGTH,
  checksumOf,
  crc32,
  displayPrefix,
  generateToken,
  hashToken,
  maskToken,
  parseToken,
  platformKindOf,
  RANDOM_LENGTH,
  TOKEN_PREFIXES,
} from '../src/index.js';

const prefixArb = fc.constantFrom('lk_pat_', 'lk_key_', 'lk_sa_', 'acme_', 'shop_live_', 'a_');

describe('token format', () => {
  it('every generated token parses back to its prefix, with a fixed-length body', () => {
    fc.assert(
      fc.property(prefixArb, (prefix) => {
        const token = generateToken(prefix);
        const parsed = parseToken(token);
        expect(parsed?.prefix).toBe(prefix);
        expect(parsed?.random).toHaveLength(RANDOM_LENGTH);
        expect(parsed?.checksum).toHaveLength(CHECKSUM_LENGTH);
        expect(token).toMatch(/^[a-z0-9_]+[0-9A-Za-z]{49}$/);
      }),
    );
  });

  it('carries at least 32 bytes of randomness: no two tokens repeat', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateToken('lk_pat_')));
    expect(seen.size).toBe(2000);
  });

  it('rejects any single-character change (the checksum catches typos)', () => {
    fc.assert(
      fc.property(
        prefixArb,
        fc.nat(),
        fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
        (prefix, at, ch) => {
          const token = generateToken(prefix);
          const i = prefix.length + (at % (RANDOM_LENGTH + CHECKSUM_LENGTH));
          fc.pre(token[i] !== ch);
          const typo = token.slice(0, i) + ch + token.slice(i + 1);
          expect(parseToken(typo)).toBeNull();
        },
      ),
    );
  });

  it('rejects truncated, extended and non-string input', () => {
    fc.assert(
      fc.property(prefixArb, fc.integer({ min: 1, max: 20 }), (prefix, cut) => {
        const token = generateToken(prefix);
        expect(parseToken(token.slice(0, -cut))).toBeNull();
        expect(parseToken(`${token}x`)).toBeNull();
      }),
    );
    for (const bad of [undefined, null, 42, {}, '', 'lk_pat_', 'Bearer x'.repeat(30)])
      expect(parseToken(bad)).toBeNull();
  });

  it('never accepts arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (s) => {
        const parsed = parseToken(s);
        if (parsed) expect(checksumOf(parsed.prefix + parsed.random)).toBe(parsed.checksum);
      }),
    );
  });

  it('uses CRC-32 (IEEE), as node:zlib computes it', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcXYZ019_'), maxLength: 80 }), (s) => {
        expect(crc32(s)).toBe(zlibCrc32(s));
      }),
    );
  });

  it('hashes with SHA-256 and shows only prefix plus 4 characters', () => {
    const token = generateToken('lk_pat_');
    expect(hashToken(token)).toHaveLength(32);
    expect(displayPrefix(token)).toBe(token.slice(0, 'lk_pat_'.length + 4));
    expect(maskToken(token)).toBe(`${displayPrefix(token)}…`);
    expect(maskToken('garbage')).toBe('…');
  });

  it('knows the platform prefixes and nothing else', () => {
    expect(platformKindOf(TOKEN_PREFIXES.pat)).toBe('pat');
    expect(platformKindOf(TOKEN_PREFIXES.platformKey)).toBe('platformKey');
    expect(platformKindOf(TOKEN_PREFIXES.serviceAccountKey)).toBe('serviceAccountKey');
    expect(platformKindOf('acme_')).toBeNull();
  });

  it('refuses to mint tokens with an invalid prefix', () => {
    for (const bad of ['', 'LK_', 'lk', '1ab_', 'a b_']) expect(() => generateToken(bad)).toThrow();
  });
});
