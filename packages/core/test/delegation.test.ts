import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultExpiry,
  intersect,
  LEVELS,
  overreach,
  permissionList,
  RESOURCES,
  ROLE_PERMISSIONS,
  scopeReach,
  scopesToSet,
} from '../src/index.js';

const HOUR = 3_600_000;
const at = (h: number) => new Date(Date.UTC(2026, 0, 1) + h * HOUR);
const anyScopes = fc.subarray(
  permissionList(ROLE_PERMISSIONS.owner).concat(['projects:read', 'secrets:read']),
);
const anyExpiry = fc.option(fc.integer({ min: 1, max: 10_000 }).map(at), { nil: null });

describe('the mint rule: no wider, no longer-lived', () => {
  it('refuses an unscoped PAT from a scoped one, naming what it lacks', () => {
    const minter = { permissions: scopeReach(['projects:read']), expiresAt: at(1), bounded: true };
    const over = overreach(minter, { permissions: scopeReach(null), expiresAt: at(366 * 24) });
    expect(over?.outlives).toBe(true);
    expect(over?.missing).toContain('secrets:write');
    expect(over?.missing).not.toContain('projects:read');
  });

  it('allows a narrower, shorter credential, and an equal one', () => {
    const minter = {
      permissions: scopesToSet(['projects:write', 'deploy:read']),
      expiresAt: at(2),
      bounded: true,
    };
    expect(overreach(minter, { permissions: scopesToSet(['projects:read']), expiresAt: at(1) })).toBeNull();
    expect(overreach(minter, { permissions: minter.permissions, expiresAt: at(2) })).toBeNull();
  });

  it('a credential without expiry outlives any bounded minter that has one; an unbounded minter is not limited by time', () => {
    const wanted = { permissions: scopesToSet(['projects:read']), expiresAt: null };
    const minter = { permissions: ROLE_PERMISSIONS.viewer, expiresAt: at(5) };
    expect(overreach({ ...minter, bounded: true }, wanted)?.outlives).toBe(true);
    expect(overreach({ ...minter, bounded: false }, wanted)).toBeNull();
    expect(overreach({ ...minter, expiresAt: null, bounded: true }, wanted)).toBeNull();
  });

  it('never allows a permission the minter lacks, nor (bounded) a later end; always allows its own reach intersected', () => {
    fc.assert(
      fc.property(
        anyScopes,
        anyScopes,
        anyExpiry,
        anyExpiry,
        fc.boolean(),
        (mine, theirs, myEnd, theirEnd, bounded) => {
          const minter = { permissions: scopesToSet(mine), expiresAt: myEnd, bounded };
          const wanted = { permissions: scopesToSet(theirs), expiresAt: theirEnd };
          const over = overreach(minter, wanted);
          const rank = (l: string) => LEVELS.indexOf(l as (typeof LEVELS)[number]);
          const wider = RESOURCES.some((r) => rank(wanted.permissions[r]) > rank(minter.permissions[r]));
          const later = bounded && myEnd !== null && (theirEnd === null || theirEnd > myEnd);
          expect(over !== null).toBe(wider || later);
          const within = { permissions: intersect(minter.permissions, wanted.permissions), expiresAt: myEnd };
          expect(overreach(minter, within)).toBeNull();
          // The default of a credential made without an expiry never breaks the rule.
          expect(overreach(minter, { ...within, expiresAt: defaultExpiry(minter, theirEnd) })).toBeNull();
        },
      ),
    );
  });
});
