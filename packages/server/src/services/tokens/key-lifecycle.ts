import { AppError, DAY, EXPIRY_BOUNDS, type KeyStatus, parseBoundedDuration } from '@latchkey/core';
import type { TokenRow } from './tokens.repo.js';

/** SPEC 2: a key is `expiring` within 7 days of its end. */
const EXPIRING_WINDOW = 7 * DAY;

/** The lifecycle status of an org-bound key; a dead key is never reported as merely suspended. */
export function keyStatus(row: TokenRow, now: Date, suspended = false): KeyStatus {
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt && row.expiresAt <= now) return 'expired';
  if (suspended) return 'suspended';
  if (rotatingUntil(row, now)) return 'rotating';
  if (row.expiresAt && row.expiresAt.getTime() - now.getTime() < EXPIRING_WINDOW) return 'expiring';
  return 'active';
}

/** When the secret a rotation replaced stops working, while it still works. */
export function rotatingUntil(row: TokenRow, now: Date): Date | null {
  return row.previousHash && row.previousExpiresAt && row.previousExpiresAt > now
    ? row.previousExpiresAt
    : null;
}

/** `expiresIn` of a platform or service-account key: none unless given, else 1 hour to 365 days. */
export function keyExpiry(input: string | number | undefined, now: Date, command: string): Date | null {
  if (input === undefined) return null;
  const parsed = parseBoundedDuration(input, EXPIRY_BOUNDS.key);
  if (!parsed.ok) {
    throw new AppError('INVALID_INPUT', `expiresIn ${parsed.error}.`, {
      hint: `Keys last from 1 hour to 365 days, e.g. \`${command} --expires 90d\`; leave it out for no expiry.`,
      details: { field: 'expiresIn' },
    });
  }
  return new Date(now.getTime() + parsed.ms);
}
