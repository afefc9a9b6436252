import { randomBytes } from 'node:crypto';
import { base62Encode } from '@latchkey/core';

/** Short, prefixed, unguessable ids: `org_7GQp…`. 12 random bytes = 17 base62 characters. */
export function newId(prefix: string): string {
  return `${prefix}_${base62Encode(randomBytes(12), 17)}`;
}
