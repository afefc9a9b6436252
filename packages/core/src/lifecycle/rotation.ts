import type { VerifyCode } from '../contract/api-keys.js';
import { AppError } from '../contract/errors.js';
import { DAY, formatDuration, parseBoundedDuration } from '../durations.js';
import { EXPIRY_BOUNDS } from './expiry.js';
import { type CredentialTimes, credentialStatus, type Instant, isExpired, isFinal, msOf } from './status.js';

/** SPEC 2: the replaced secret keeps working for a day unless told otherwise. */
export const DEFAULT_GRACE = DAY;
export const GRACE_BOUNDS = EXPIRY_BOUNDS.grace;

/** Which of a credential's secrets was presented: the current one, or the one a rotation replaced. */
export type Presented = 'current' | 'previous';

/** Whether a presented secret works now, and if not, why. */
export type SecretState = 'live' | 'revoked' | 'expired' | 'replaced';

/**
 * The one rule for a presented secret, every kind alike. The replaced secret works only while
 * its grace period runs; a grace of 0 ends it at once, and it is then `replaced` (not unknown),
 * exactly like one whose grace ran out.
 */
export function secretState(c: CredentialTimes, presented: Presented, now: Instant): SecretState {
  if (c.revokedAt !== null) return 'revoked';
  if (isExpired(c, now)) return 'expired';
  if (presented === 'previous') {
    const until = c.previousExpiresAt ?? null;
    if (until === null || msOf(until) <= msOf(now)) return 'replaced';
  }
  return 'live';
}

/** What verification of an app API key answers for a refused secret. */
export const REFUSED_VERIFY_CODE: Record<Exclude<SecretState, 'live'>, VerifyCode> = {
  revoked: 'REVOKED',
  expired: 'EXPIRED',
  replaced: 'EXPIRED',
};

/** The error for a replaced secret of a platform credential (the same for every kind). */
export function replacedSecretError(): AppError {
  return new AppError(
    'INVALID_TOKEN',
    'The token is no longer valid: this secret was replaced by rotation.',
    {
      hint: 'Use the new secret the rotation printed.',
    },
  );
}

/** `gracePeriod` of a rotation: 0 to 30 days, 24 hours when left out. */
export function parseGracePeriod(input: string | number | undefined, command: string): number {
  if (input === undefined) return DEFAULT_GRACE;
  const parsed = parseBoundedDuration(input, GRACE_BOUNDS);
  if (!parsed.ok) {
    throw new AppError('INVALID_INPUT', `gracePeriod ${parsed.error}.`, {
      hint: `Give 0 (end the old secret now) up to ${formatDuration(GRACE_BOUNDS.max)}, e.g. \`${command} --grace-period 24h\`.`,
      details: { field: 'gracePeriod' },
    });
  }
  return parsed.ms;
}

export type RotationPlan = {
  /** Written to the credential: the replaced secret's hash is always kept, so it is refused as `replaced`. */
  previousExpiresAt: Date;
  rotatedAt: Date;
  /** For the audit entry. */
  gracePeriod: string;
};

/**
 * The one rotation rule: only a live credential is rotated; the replaced secret works for the
 * grace period, never past the credential's own expiry; 0 ends it at once. Rotating again while a
 * grace period runs ends the older secret: only one replaced secret is ever kept.
 */
export function planRotation(
  c: CredentialTimes & { name: string },
  now: Date,
  graceMs: number,
  what: { label: string; createCommand: string },
): RotationPlan {
  const status = credentialStatus(c, now);
  if (isFinal(status)) {
    throw new AppError('CONFLICT', `${what.label} ${c.name} is ${status}; only a live key can be rotated.`, {
      hint: `Create a new key with \`${what.createCommand}\`.`,
    });
  }
  const end = now.getTime() + graceMs;
  return {
    previousExpiresAt: new Date(c.expiresAt === null ? end : Math.min(end, msOf(c.expiresAt))),
    rotatedAt: now,
    gracePeriod: formatDuration(graceMs),
  };
}
