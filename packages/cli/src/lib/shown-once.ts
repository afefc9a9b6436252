import { dateTime } from './format.js';
import type { Io } from './io.js';

/**
 * A new token or key, the one time it is printed: the token alone on stdout (or inside the JSON),
 * so `latch … create name > key` captures it and nothing else; then, on stderr, what was made
 * (`summary`, given its expiry in words) and the warning that it cannot be shown again.
 */
export function printCreated<T extends { token: string; expiresAt?: string | null }>(
  io: Io,
  created: T,
  what: 'key' | 'token',
  summary: (expires: string) => string,
): void {
  io.result(created, (c) => c.token);
  const expires = created.expiresAt ? `expires ${dateTime(created.expiresAt)}` : 'does not expire';
  io.note(`${io.err.green('✓')} ${summary(expires)}`);
  io.warn(`Copy the ${what} now: it will not be shown again.`);
}
