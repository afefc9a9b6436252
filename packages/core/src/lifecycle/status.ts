import { DAY } from '../durations.js';

/**
 * The rules of a credential's life (SPEC 2 "Lifecycle"), for every kind: PATs, platform keys,
 * service-account keys and app API keys. Pure: the caller passes the time.
 */

/** A credential is `expiring` when its end is at most this far away. */
export const EXPIRING_WINDOW = 7 * DAY;

export type CredentialStatus = 'active' | 'expiring' | 'rotating' | 'expired' | 'revoked' | 'suspended';

/** Instants as Dates (rows) or epoch ms (caches); null when the credential has none. */
export type Instant = Date | number;

/** What the lifecycle needs of a credential. `previousExpiresAt`: when the secret a rotation replaced ends. */
export type CredentialTimes = {
  revokedAt: Instant | null;
  expiresAt: Instant | null;
  previousExpiresAt?: Instant | null;
};

export const msOf = (t: Instant): number => (typeof t === 'number' ? t : t.getTime());

/** Dead for good: nothing but a new credential helps. */
export function isFinal(status: CredentialStatus): status is 'revoked' | 'expired' {
  return status === 'revoked' || status === 'expired';
}

/** Has the credential's own end passed? */
export function isExpired(c: CredentialTimes, now: Instant): boolean {
  return c.expiresAt !== null && msOf(c.expiresAt) <= msOf(now);
}

/** When the replaced secret stops working, while it still works (never for a revoked credential). */
export function rotatingUntil<T extends Instant>(
  c: { revokedAt: Instant | null; previousExpiresAt?: T | null },
  now: Instant,
): T | null {
  const until = c.previousExpiresAt ?? null;
  return c.revokedAt === null && until !== null && msOf(until) > msOf(now) ? until : null;
}

/** The first instant at or after which a credential counts as expiring (for list filters). */
export function expiringBefore(now: Instant): Date {
  return new Date(msOf(now) + EXPIRING_WINDOW);
}

/**
 * revoked > expired > suspended > rotating > expiring > active. A dead credential is never
 * reported as merely suspended; `suspended` only where the kind has it (platform keys).
 */
export function credentialStatus(c: CredentialTimes, now: Instant): Exclude<CredentialStatus, 'suspended'>;
export function credentialStatus(c: CredentialTimes, now: Instant, suspended: boolean): CredentialStatus;
export function credentialStatus(c: CredentialTimes, now: Instant, suspended = false): CredentialStatus {
  if (c.revokedAt !== null) return 'revoked';
  if (isExpired(c, now)) return 'expired';
  if (suspended) return 'suspended';
  if (rotatingUntil(c, now) !== null) return 'rotating';
  if (c.expiresAt !== null && msOf(c.expiresAt) - msOf(now) <= EXPIRING_WINDOW) return 'expiring';
  return 'active';
}

/** How a table shows a status: fine, needs attention, broken, or over. */
export type StatusTone = 'ok' | 'attention' | 'broken' | 'over';

export function statusTone(status: string): StatusTone {
  if (status === 'active') return 'ok';
  if (status === 'rotating' || status === 'expiring') return 'attention';
  if (status === 'suspended') return 'broken';
  return 'over';
}
