import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AppError,
  type CredentialTimes,
  createUseThrottle,
  credentialStatus,
  DAY,
  DEFAULT_GRACE,
  EXPIRING_WINDOW,
  expiringBefore,
  expiryFrom,
  HOUR,
  LAST_USED_EVERY,
  MINUTE,
  parseGracePeriod,
  planRotation,
  REFUSED_VERIFY_CODE,
  rotatingUntil,
  secretState,
} from '../src/index.js';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const offset = fc.integer({ min: -400 * DAY, max: 400 * DAY });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const credential: fc.Arbitrary<CredentialTimes> = fc.record({
  revokedAt: maybe(offset.map((d) => NOW + d)),
  expiresAt: maybe(offset.map((d) => NOW + d)),
  previousExpiresAt: maybe(offset.map((d) => NOW + d)),
});
const live = fc.record({
  revokedAt: fc.constant(null),
  expiresAt: maybe(fc.integer({ min: 1, max: 400 * DAY }).map((d) => NOW + d)),
  previousExpiresAt: maybe(offset.map((d) => NOW + d)),
});

function expectAppError(fn: () => unknown, code: string, message: RegExp): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    expect((err as AppError).message).toMatch(message);
    expect((err as AppError).hint).toBeTruthy();
    return err as AppError;
  }
  throw new Error('did not throw');
}

describe('credential status', () => {
  it('is expiring exactly when the end is at most 7 days away, boundary included', () => {
    const at = (ms: number) => credentialStatus({ revokedAt: null, expiresAt: NOW + ms }, NOW);
    expect(at(EXPIRING_WINDOW)).toBe('expiring');
    expect(at(EXPIRING_WINDOW + 1)).toBe('active');
    expect(at(1)).toBe('expiring');
    expect(at(0)).toBe('expired');
    expect(credentialStatus({ revokedAt: null, expiresAt: null }, NOW)).toBe('active');
  });

  it('follows revoked > expired > suspended > rotating > expiring > active', () => {
    fc.assert(
      fc.property(credential, fc.boolean(), (c, suspended) => {
        const s = credentialStatus(c, NOW, suspended);
        const expired = c.expiresAt !== null && (c.expiresAt as number) <= NOW;
        const rotating =
          c.revokedAt === null && c.previousExpiresAt != null && (c.previousExpiresAt as number) > NOW;
        if (c.revokedAt !== null) expect(s).toBe('revoked');
        else if (expired) expect(s).toBe('expired');
        else if (suspended) expect(s).toBe('suspended');
        else if (rotating) expect(s).toBe('rotating');
        else if (c.expiresAt !== null && (c.expiresAt as number) < expiringBefore(NOW).getTime() + 1)
          expect(s).toBe('expiring');
        else expect(s).toBe('active');
        // Dates and epoch ms answer alike.
        const asDates = {
          revokedAt: c.revokedAt === null ? null : new Date(c.revokedAt),
          expiresAt: c.expiresAt === null ? null : new Date(c.expiresAt),
          previousExpiresAt: c.previousExpiresAt == null ? null : new Date(c.previousExpiresAt),
        };
        expect(credentialStatus(asDates, new Date(NOW), suspended)).toBe(s);
        expect(rotatingUntil(c, NOW) !== null).toBe(rotating);
      }),
    );
  });
});

describe('presented secrets', () => {
  it('the current secret works exactly while the credential is neither revoked nor expired', () => {
    fc.assert(
      fc.property(credential, (c) => {
        const status = credentialStatus(c, NOW);
        expect(secretState(c, 'current', NOW) === 'live').toBe(status !== 'revoked' && status !== 'expired');
      }),
    );
  });

  it('the replaced secret works only inside its grace period, and is `replaced` after it', () => {
    fc.assert(
      fc.property(live, (c) => {
        const inGrace = c.previousExpiresAt !== null && c.previousExpiresAt > NOW;
        expect(secretState(c, 'previous', NOW)).toBe(inGrace ? 'live' : 'replaced');
      }),
    );
  });

  it('maps every refusal to a verification code', () => {
    expect(REFUSED_VERIFY_CODE).toEqual({ revoked: 'REVOKED', expired: 'EXPIRED', replaced: 'EXPIRED' });
  });
});

describe('rotation', () => {
  const what = { label: 'Key', createCommand: 'latch keys create' };

  it('never lets the replaced secret outlive the grace period or the credential', () => {
    fc.assert(
      fc.property(live, fc.integer({ min: 0, max: 30 * DAY }), (c, grace) => {
        const plan = planRotation({ ...c, name: 'k' }, new Date(NOW), grace, what);
        const until = plan.previousExpiresAt.getTime();
        expect(until).toBeLessThanOrEqual(NOW + grace);
        if (c.expiresAt !== null) expect(until).toBeLessThanOrEqual(c.expiresAt);
        expect(until).toBe(Math.min(NOW + grace, c.expiresAt ?? Number.POSITIVE_INFINITY));
        // Whatever the grace, the old secret is live until then and `replaced` from then on.
        const after = { ...c, previousExpiresAt: plan.previousExpiresAt };
        expect(secretState(after, 'previous', until)).not.toBe('live');
        if (until > NOW) expect(secretState(after, 'previous', until - 1)).toBe('live');
      }),
    );
  });

  it('grace 0 ends the old secret at once, as `replaced` (the same refusal as a grace that ran out)', () => {
    const plan = planRotation({ revokedAt: null, expiresAt: null, name: 'k' }, new Date(NOW), 0, what);
    const after = { revokedAt: null, expiresAt: null, previousExpiresAt: plan.previousExpiresAt };
    expect(secretState(after, 'previous', NOW)).toBe('replaced');
    expect(credentialStatus(after, NOW)).toBe('active');
    expect(plan.gracePeriod).toBe('0');
  });

  it('refuses to rotate a revoked or expired credential', () => {
    expectAppError(
      () => planRotation({ revokedAt: NOW - 1, expiresAt: null, name: 'ci' }, new Date(NOW), DAY, what),
      'CONFLICT',
      /^Key ci is revoked; only a live key can be rotated\.$/,
    );
    expectAppError(
      () => planRotation({ revokedAt: null, expiresAt: NOW, name: 'ci' }, new Date(NOW), DAY, what),
      'CONFLICT',
      /is expired/,
    );
  });

  it('takes a grace period of 0 to 30 days, 24 hours by default', () => {
    expect(DEFAULT_GRACE).toBe(24 * HOUR);
    expect(parseGracePeriod(undefined, 'latch keys rotate <id>')).toBe(24 * HOUR);
    expect(parseGracePeriod('0', 'x')).toBe(0);
    expect(parseGracePeriod('30d', 'x')).toBe(30 * DAY);
    const err = expectAppError(
      () => parseGracePeriod('31d', 'latch keys rotate <id>'),
      'INVALID_INPUT',
      /^gracePeriod must be between 0 and 30d\.$/,
    );
    expect(err.hint).toBe(
      'Give 0 (end the old secret now) up to 30d, e.g. `latch keys rotate <id> --grace-period 24h`.',
    );
    expectAppError(() => parseGracePeriod('soon', 'x'), 'INVALID_INPUT', /not a duration/);
  });
});

describe('expiry', () => {
  const now = new Date(NOW);

  it('PATs end after 120 days unless told; keys never unless told', () => {
    expect(expiryFrom(undefined, 'pat', now, 'latch pats create')?.getTime()).toBe(NOW + 120 * DAY);
    expect(expiryFrom(undefined, 'key', now, 'latch keys create')).toBeNull();
    expect(expiryFrom('90d', 'key', now, 'x')?.getTime()).toBe(NOW + 90 * DAY);
    expect(expiryFrom('366d', 'pat', now, 'x')?.getTime()).toBe(NOW + 366 * DAY);
  });

  it('names the rule, the default and an example when out of range', () => {
    const key = expectAppError(
      () => expiryFrom('366d', 'key', now, 'latch keys create'),
      'INVALID_INPUT',
      /^expiresIn must be between 1h and 365d\.$/,
    );
    expect(key.hint).toBe(
      'Keys last from 1h to 365d, e.g. `latch keys create --expires 90d`; leave it out for no expiry.',
    );
    const pat = expectAppError(
      () => expiryFrom('30m', 'pat', now, 'latch pats create'),
      'INVALID_INPUT',
      /between 1h and 366d/,
    );
    expect(pat.hint).toMatch(/the default is 120d\.$/);
    expect(key.details).toEqual({ field: 'expiresIn' });
  });

  it('accepts exactly the in-range durations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.constantFrom('h', 'd'), (n, unit) => {
        const ms = n * (unit === 'h' ? HOUR : DAY);
        const ok = ms >= HOUR && ms <= 365 * DAY;
        let threw = false;
        try {
          expect(expiryFrom(`${n}${unit}`, 'key', now, 'x')?.getTime()).toBe(NOW + ms);
        } catch (err) {
          threw = err instanceof AppError;
        }
        expect(threw).toBe(!ok);
      }),
    );
  });
});

describe('last-used throttle', () => {
  it('lets at most one write per credential per minute through, whoever reports', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ id: fc.constantFrom('a', 'b', 'c'), at: fc.integer({ min: 0, max: 10 * MINUTE }) }),
          {
            maxLength: 200,
          },
        ),
        (uses) => {
          const throttle = createUseThrottle();
          const written = new Map<string, number[]>();
          for (const u of uses)
            if (throttle.take(u.id, u.at)) written.set(u.id, [...(written.get(u.id) ?? []), u.at]);
          for (const [id, times] of written) {
            for (let i = 1; i < times.length; i++)
              expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(LAST_USED_EVERY);
            // The first use of each credential is always written.
            expect(times[0]).toBe(uses.find((u) => u.id === id)!.at);
          }
        },
      ),
    );
  });

  it('retries after a failed write and stays bounded', () => {
    const throttle = createUseThrottle({ maxTracked: 2 });
    expect(throttle.take('a', 0)).toBe(true);
    expect(throttle.take('a', 1)).toBe(false);
    throttle.forget('a');
    expect(throttle.take('a', 2)).toBe(true);
    throttle.take('b', 0);
    throttle.take('c', 0);
    expect(throttle.size).toBeLessThanOrEqual(2);
  });
});
