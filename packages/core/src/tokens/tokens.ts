import { createHash, randomBytes } from 'node:crypto';
import { base62Decode, base62Encode, base62FromNumber } from './base62.js';
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

/**
 * Single-use links (an invitation, a password reset) carry a token of the same format. They are
 * never bearer credentials, but their shape means the log and error redaction catches them
 * wherever they appear, including the request URL of the page they open.
 */
export const LINK_TOKEN_PREFIXES = {
  invitation: 'lk_inv_',
  passwordReset: 'lk_rst_',
} as const;

/** Prefixes are lowercase words joined and ended by underscores: `lk_pat_`, `acme_`, `acme_live_`. */
export const TOKEN_PREFIX_RE = /^[a-z][a-z0-9]{0,15}_(?:[a-z0-9]{1,16}_)?$/;

export function checksumOf(prefixAndRandom: string): string {
  return base62FromNumber(crc32(prefixAndRandom), CHECKSUM_LENGTH);
}

export function generateToken(prefix: string): string {
  if (!TOKEN_PREFIX_RE.test(prefix)) throw new RangeError(`invalid token prefix: ${prefix}`);
  const random = base62Encode(randomBytes(32), RANDOM_LENGTH);
  return prefix + random + checksumOf(prefix + random);
}

export type ParsedToken = { prefix: string; random: string; checksum: string };

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLower = (c: number) => c >= 97 && c <= 122;
const isBase62 = (c: number) => isDigit(c) || isLower(c) || (c >= 65 && c <= 90);

/** TOKEN_PREFIX_RE over token[0, end), by hand: `word_` or `word_word_`, lowercase, 1–16 each. */
function isPrefix(token: string, end: number): boolean {
  let start = 0;
  for (let part = 0; part < 2 && start < end; part++) {
    const underscore = token.indexOf('_', start);
    const length = underscore - start;
    if (underscore < 0 || underscore >= end || length < 1 || length > 16) return false;
    if (part === 0 && !isLower(token.charCodeAt(0))) return false;
    for (let i = start; i < underscore; i++) {
      const c = token.charCodeAt(i);
      if (!isLower(c) && !isDigit(c)) return false;
    }
    start = underscore + 1;
  }
  return start === end;
}

/**
 * Recognises a token by shape and checksum alone: no I/O, so a mistyped, truncated or invented
 * token is rejected before anything touches the database. Returns the token's prefix, or null
 * for anything malformed. One pass over the characters, no regular expression and no substrings
 * but the prefix: every verification starts here.
 */
export function tokenPrefix(token: unknown): string | null {
  if (typeof token !== 'string' || token.length > 128 || token.length <= BODY_LENGTH) return null;
  const bodyStart = token.length - BODY_LENGTH;
  for (let i = bodyStart; i < token.length; i++) if (!isBase62(token.charCodeAt(i))) return null;
  if (!isPrefix(token, bodyStart)) return null;
  const end = token.length - CHECKSUM_LENGTH;
  if (crc32(token, end) !== base62Decode(token, end)) return null;
  return token.slice(0, bodyStart);
}

/** tokenPrefix, with the token's parts. */
export function parseToken(token: unknown): ParsedToken | null {
  const prefix = tokenPrefix(token);
  if (prefix === null) return null;
  const body = (token as string).slice(prefix.length);
  return { prefix, random: body.slice(0, RANDOM_LENGTH), checksum: body.slice(RANDOM_LENGTH) };
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
