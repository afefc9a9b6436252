import { AppError } from '../contract/errors.js';
import { DAY, type DurationBounds, formatDuration, HOUR, parseBoundedDuration } from '../durations.js';

/** SPEC 2: how long credentials may last, and how long a rotation's replaced secret may. */
export const EXPIRY_BOUNDS = {
  key: { min: HOUR, max: 365 * DAY },
  pat: { min: HOUR, max: 366 * DAY },
  grace: { min: 0, max: 30 * DAY },
} satisfies Record<string, DurationBounds>;

/** Credentials by how their expiry works: PATs always end (120 days by default), keys only when told. */
export const EXPIRY_RULES = {
  pat: { bounds: EXPIRY_BOUNDS.pat, defaultMs: 120 * DAY, noun: 'Personal access tokens' },
  key: { bounds: EXPIRY_BOUNDS.key, defaultMs: null, noun: 'Keys' },
} as const;

export type ExpiryKind = keyof typeof EXPIRY_RULES;

/**
 * `expiresIn` → the instant the credential ends (null: never). Out-of-range or unreadable input
 * is INVALID_INPUT naming the rule, the default and an example with the command that takes it.
 */
export function expiryFrom(
  input: string | number | undefined,
  kind: ExpiryKind,
  now: Date,
  command: string,
): Date | null {
  const rule = EXPIRY_RULES[kind];
  if (input === undefined) return rule.defaultMs === null ? null : new Date(now.getTime() + rule.defaultMs);
  const parsed = parseBoundedDuration(input, rule.bounds);
  if (!parsed.ok) {
    const fallback =
      rule.defaultMs === null
        ? 'leave it out for no expiry'
        : `the default is ${formatDuration(rule.defaultMs)}`;
    throw new AppError('INVALID_INPUT', `expiresIn ${parsed.error}.`, {
      hint: `${rule.noun} last from ${formatDuration(rule.bounds.min)} to ${formatDuration(rule.bounds.max)}, e.g. \`${command} --expires 90d\`; ${fallback}.`,
      details: { field: 'expiresIn' },
    });
  }
  return new Date(now.getTime() + parsed.ms);
}
