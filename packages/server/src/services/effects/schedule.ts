import { DEFAULT_RETRY_SCHEDULE } from '@latchkey/core';

/** Endpoints failing every attempt this long are disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3600 * 1000;
/** A Retry-After longer than this is capped: the schedule still ends. */
const MAX_RETRY_AFTER_S = 24 * 3600;

/** Seconds before attempt `attempts + 1`, or null when the effect has had all its attempts. */
export function delayAfter(schedule: readonly number[], attempts: number): number | null {
  if (attempts < 1 || attempts > schedule.length) return null;
  return schedule[attempts - 1] as number;
}

/**
 * ±10 % jitter so endpoints that failed together do not all retry in the same second; an
 * immediate retry stays immediate. `random` is injectable so tests pin it.
 */
export function withJitter(seconds: number, random: () => number = Math.random): number {
  if (seconds === 0) return 0;
  return seconds * (0.9 + 0.2 * random());
}

/** Retry-After in seconds (delta or HTTP date), or null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed), MAX_RETRY_AFTER_S);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, (at - now.getTime()) / 1000), MAX_RETRY_AFTER_S);
}

/** The schedule of an app's retry policy: `maxAttempts - 1` delays, the last given one repeating. */
export function policySchedule(
  policy: { maxAttempts?: number; backoffSeconds?: number[] } | undefined,
): number[] {
  const backoff = policy?.backoffSeconds ?? [...DEFAULT_RETRY_SCHEDULE];
  const retries = (policy?.maxAttempts ?? DEFAULT_RETRY_SCHEDULE.length + 1) - 1;
  return Array.from({ length: retries }, (_, i) => backoff[Math.min(i, backoff.length - 1)] as number);
}
