const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Encodes bytes as base62, left-padded with '0' to `width` so tokens have a fixed length. */
export function base62Encode(bytes: Uint8Array, width: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return base62FromBigInt(n, width);
}

export function base62FromBigInt(value: bigint, width: number): string {
  let n = value;
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  if (out.length > width) throw new RangeError(`value does not fit in ${width} base62 characters`);
  return out.padStart(width, '0');
}

/** The same digits for a non-negative safe integer (a CRC-32, say) without BigInt: on every verification. */
export function base62FromNumber(value: number, width: number): string {
  let n = value;
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  if (n > 0) throw new RangeError(`value does not fit in ${width} base62 characters`);
  return out;
}

export const BASE62_RE = /^[0-9A-Za-z]+$/;

/** The value of the base62 digits in `text` from `start` to its end (callers check the alphabet first). */
export function base62Decode(text: string, start: number): number {
  let n = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // 0-9, A-Z, a-z in ALPHABET's order.
    n = n * 62 + (c <= 57 ? c - 48 : c <= 90 ? c - 55 : c - 61);
  }
  return n;
}
