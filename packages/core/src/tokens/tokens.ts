import { createHash, randomBytes } from 'node:crypto';
import { BASE62_RE, base62Encode, base62FromBigInt } from './base62.js';
import { crc32 } from './crc32.js';

/** 32 random bytes always fit in 43 base62 characters (62^43 > 2^256). */
export const RANDOM_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
const BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH;

export const TOKEN_PREFIXES = {
  pat: 'lk_pat_',
  platformKey: 'lk_key_',
  serviceAccountKey: 'lk_sa_',
} as const;
export type PlatformTokenKind = keyof typeof TOKEN_PREFIXES;

/** Prefixes are lowercase words joined and ended by underscores: `lk_pat_`, `acme_`, `acme_live_`. */
export const TOKEN_PREFIX_RE = /^[a-z][a-z0-9]{0,15}_(?:[a-z0-9]{1,16}_)?$/;

export function checksumOf(prefixAndRandom: string): string {
  return base62FromBigInt(BigInt(crc32(prefixAndRandom)), CHECKSUM_LENGTH);
}

export function generateToken(prefix: string): string {
  if (!TOKEN_PREFIX_RE.test(prefix)) throw new RangeError(`invalid token prefix: ${prefix}`);
  const random = base62Encode(randomBytes(32), RANDOM_LENGTH);
  return prefix + random + checksumOf(prefix + random);
}

export type ParsedToken = { prefix: string; random: string; checksum: string };

/**
 * Recognises a token by shape and checksum alone: no I/O, so a mistyped, truncated or invented
 * token is rejected before anything touches the database. Returns null for anything malformed.
 */
export function parseToken(token: unknown): ParsedToken | null {
  if (typeof token !== 'string' || token.length > 128 || token.length <= BODY_LENGTH) return null;
  const prefix = token.slice(0, token.length - BODY_LENGTH);
  const random = token.slice(prefix.length, prefix.length + RANDOM_LENGTH);
  const checksum = token.slice(prefix.length + RANDOM_LENGTH);
  if (!TOKEN_PREFIX_RE.test(prefix) || !BASE62_RE.test(random) || !BASE62_RE.test(checksum)) return null;
  if (checksumOf(prefix + random) !== checksum) return null;
  return { prefix, random, checksum };
}

export function platformKindOf(prefix: string): PlatformTokenKind | null {
  for (const [kind, p] of Object.entries(TOKEN_PREFIXES)) if (p === prefix) return kind as PlatformTokenKind;
  return null;
}

/** What the server stores and looks tokens up by: the SHA-256 of the whole token. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** What may be shown after creation: the prefix and the first 4 random characters. */
export function displayPrefix(token: string): string {
  const parsed = parseToken(token);
  if (!parsed) throw new RangeError('not a token');
  return parsed.prefix + parsed.random.slice(0, 4);
}

/** A masked form for status output: never more than the display prefix. */
export function maskToken(token: string): string {
  const parsed = parseToken(token);
  return parsed ? `${parsed.prefix}${parsed.random.slice(0, 4)}…` : '…';
}
