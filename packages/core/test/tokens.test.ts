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
  tokenPrefix,
} from '../src/index.js';
import { base62FromBigInt, base62FromNumber } from '../src/tokens/base62.js';

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

describe('base62 digits of a checksum', () => {
  it('the Number path gives the same digits as the BigInt path for every 32-bit value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(base62FromNumber(n, CHECKSUM_LENGTH)).toBe(base62FromBigInt(BigInt(n), CHECKSUM_LENGTH));
      }),
    );
    expect(base62FromNumber(0, 6)).toBe('000000');
    expect(() => base62FromNumber(62 ** 2, 2)).toThrow(RangeError);
  });
});

describe('tokenPrefix (the one-pass check every verification starts with)', () => {
  // The plain definition: split into parts, check each part's alphabet, recompute the checksum.
  function reference(token: string): string | null {
    if (token.length > 128 || token.length <= RANDOM_LENGTH + CHECKSUM_LENGTH) return null;
    const prefix = token.slice(0, token.length - RANDOM_LENGTH - CHECKSUM_LENGTH);
    const random = token.slice(prefix.length, prefix.length + RANDOM_LENGTH);
    const checksum = token.slice(prefix.length + RANDOM_LENGTH);
    if (!/^[a-z][a-z0-9]{0,15}_(?:[a-z0-9]{1,16}_)?$/.test(prefix)) return null;
    if (!/^[0-9A-Za-z]+$/.test(random) || !/^[0-9A-Za-z]+$/.test(checksum)) return null;
    return checksumOf(prefix + random) === checksum ? prefix : null;
  }

  it('agrees with the plain definition on tokens, near-tokens and noise', () => {
    const nearToken = fc
      .tuple(prefixArb, fc.nat(), fc.string({ maxLength: 3 }), fc.nat(60))
      .map(([prefix, at, insert, cut]) => {
        const token = generateToken(prefix);
        const i = at % token.length;
        return [token, token.slice(0, i) + insert + token.slice(i + insert.length), token.slice(cut)];
      });
    // Any prefix-like string in front of a body whose checksum is right: only the prefix decides.
    const anyPrefix = fc
      .string({ unit: fc.constantFrom('a', 'z', '0', '9', '_', 'A', '-'), maxLength: 40 })
      .map((prefix) => {
        const random = generateToken('x_').slice(2, 2 + RANDOM_LENGTH);
        return prefix + random + checksumOf(prefix + random);
      });
    fc.assert(
      fc.property(nearToken, fc.string({ maxLength: 130 }), anyPrefix, (near, noise, prefixed) => {
        for (const s of [...near, noise, prefixed]) expect(tokenPrefix(s)).toBe(reference(s));
      }),
      { numRuns: 3000 },
    );
    expect(tokenPrefix(generateToken('shop_live_'))).toBe('shop_live_');
  });
});
