import { parseDuration, TimestampInput } from '@latchkey/core';
import { usageError } from '../../lib/exit.js';

/**
 * `--since 24h` / `30d` / `2026-12-01T00:00:00Z` → the ISO time the API takes. A duration counts
 * back from now; a date-time is passed on as typed (the server checks it again).
 */
export function sinceToIso(value: string | undefined, now = Date.now()): string | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms !== null) return new Date(now - ms).toISOString();
  if (TimestampInput.safeParse(value).success) return value;
  throw usageError(
    `--since "${value}" is neither a duration nor a date-time.`,
    'Use e.g. --since 24h, --since 30d or --since 2026-12-01T00:00:00Z.',
  );
}
