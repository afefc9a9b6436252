import {
  effectivePermissions,
  LEVELS,
  type Level,
  missingPermissions,
  type PermissionSet,
  permissionList,
  RESOURCES,
  type Resource,
  ROLE_PERMISSIONS,
  type Role,
} from '../../core/src/permissions/permissions.js';

export type { Level, PermissionSet, Resource };

/**
 * What the signed-in person holds in an org: their role, capped by the session's scopes if any.
 * The server decides (it refuses anything above this); the dashboard only offers what would pass.
 */
export function heldIn(
  role: Role | null | undefined,
  scopes: readonly string[] | null,
): PermissionSet | null {
  return role ? effectivePermissions(role, scopes) : null;
}

/** For each resource held at all, the levels one may grant of it: read up to what is held. */
export function grantableLevels(held: PermissionSet): { resource: Resource; levels: Level[] }[] {
  return RESOURCES.filter((r) => held[r] !== 'none').map((resource) => ({
    resource,
    levels: LEVELS.slice(1, LEVELS.indexOf(held[resource]) + 1),
  }));
}

/** Service-account roles whose permissions the holder has in full. */
export function grantableRoles<R extends Role>(held: PermissionSet, roles: readonly R[]): R[] {
  return roles.filter((r) => missingPermissions(held, permissionList(ROLE_PERMISSIONS[r])).length === 0);
}

export const holds = (held: PermissionSet | null, resource: Resource, level: Level) =>
  held !== null && LEVELS.indexOf(held[resource]) >= LEVELS.indexOf(level);
