import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  can,
  canManageRole,
  effectivePermissions,
  intersect,
  LEVELS,
  missingPermissions,
  parsePermission,
  RESOURCES,
  ROLE_PERMISSIONS,
  ROLES,
  scopesToSet,
} from '../src/index.js';

describe('roles (SPEC section 3)', () => {
  it('owner manages everything, including owner-only org acts', () => {
    expect(can(ROLE_PERMISSIONS.owner, 'org:manage')).toBe(true);
    expect(can(ROLE_PERMISSIONS.owner, 'secrets:write')).toBe(true);
  });

  it('admin manages everything but owner-only acts', () => {
    expect(can(ROLE_PERMISSIONS.admin, 'org:manage')).toBe(false);
    expect(can(ROLE_PERMISSIONS.admin, 'org:write')).toBe(true);
    expect(can(ROLE_PERMISSIONS.admin, 'members:manage')).toBe(true);
    expect(can(ROLE_PERMISSIONS.admin, 'api_keys:manage')).toBe(true);
  });

  it('developer writes the day-to-day resources and reads the rest', () => {
    const dev = ROLE_PERMISSIONS.developer;
    for (const r of [
      'projects',
      'environments',
      'secrets',
      'deploy',
      'api_keys',
      'platform_keys',
      'webhooks',
      'effects',
    ] as const) {
      expect(dev[r]).toBe('write');
    }
    expect(dev.members).toBe('read');
    expect(dev.audit).toBe('read');
    expect(can(dev, 'members:write')).toBe(false);
  });

  it('viewer reads everything except secrets and audit', () => {
    const viewer = ROLE_PERMISSIONS.viewer;
    expect(viewer.secrets).toBe('none');
    expect(viewer.audit).toBe('none');
    expect(can(viewer, 'projects:read')).toBe(true);
    expect(can(viewer, 'projects:write')).toBe(false);
  });

  it('roles are ordered: each grants at least what the next one down does', () => {
    for (let i = 0; i + 1 < ROLES.length; i++) {
      const higher = ROLE_PERMISSIONS[ROLES[i]!];
      const lower = ROLE_PERMISSIONS[ROLES[i + 1]!];
      for (const r of RESOURCES)
        expect(LEVELS.indexOf(higher[r])).toBeGreaterThanOrEqual(LEVELS.indexOf(lower[r]));
    }
  });
});

describe('permission strings', () => {
  it('parses resource:level and refuses levels a resource does not have', () => {
    expect(parsePermission('deploy:write')).toEqual({ resource: 'deploy', level: 'write' });
    expect(parsePermission('secrets:manage')).toBeNull();
    expect(parsePermission('audit:write')).toBeNull();
    expect(parsePermission('nope:read')).toBeNull();
    expect(parsePermission('deploy')).toBeNull();
  });

  it('scopes cap a role and never raise it', () => {
    const arbScopes = fc.array(
      fc.constantFrom(...RESOURCES.flatMap((r) => [`${r}:read`, `${r}:write`, `${r}:manage`])),
    );
    fc.assert(
      fc.property(fc.constantFrom(...ROLES), arbScopes, (role, scopes) => {
        const eff = effectivePermissions(role, scopes);
        for (const r of RESOURCES) {
          expect(LEVELS.indexOf(eff[r])).toBeLessThanOrEqual(LEVELS.indexOf(ROLE_PERMISSIONS[role][r]));
          expect(LEVELS.indexOf(eff[r])).toBeLessThanOrEqual(LEVELS.indexOf(scopesToSet(scopes)[r]));
        }
      }),
    );
  });

  it('intersect is commutative', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ROLES), fc.constantFrom(...ROLES), (a, b) => {
        expect(intersect(ROLE_PERMISSIONS[a], ROLE_PERMISSIONS[b])).toEqual(
          intersect(ROLE_PERMISSIONS[b], ROLE_PERMISSIONS[a]),
        );
      }),
    );
  });

  it('lists what a holder is missing', () => {
    expect(
      missingPermissions(ROLE_PERMISSIONS.developer, ['deploy:write', 'members:write', 'bogus']),
    ).toEqual(['members:write', 'bogus']);
  });

  it('only owners touch owners; admins need members:manage', () => {
    expect(canManageRole(ROLE_PERMISSIONS.admin, 'admin', 'owner')).toBe(false);
    expect(canManageRole(ROLE_PERMISSIONS.owner, 'owner', 'owner')).toBe(true);
    expect(canManageRole(ROLE_PERMISSIONS.admin, 'admin', 'admin')).toBe(true);
    expect(canManageRole(ROLE_PERMISSIONS.developer, 'developer', 'viewer')).toBe(false);
  });
});
