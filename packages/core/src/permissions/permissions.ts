export const RESOURCES = [
  'org',
  'members',
  'projects',
  'environments',
  'secrets',
  'deploy',
  'api_keys',
  'platform_keys',
  'service_accounts',
  'webhooks',
  'effects',
  'audit',
  'logs',
] as const;
export type Resource = (typeof RESOURCES)[number];

export const LEVELS = ['none', 'read', 'write', 'manage'] as const;
export type Level = (typeof LEVELS)[number];

export const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** `resource:level`, e.g. `deploy:write`. */
export type Permission = `${Resource}:${Exclude<Level, 'none'>}`;
export type PermissionSet = Readonly<Record<Resource, Level>>;

/** The highest level each resource supports (SPEC section 3): asking for more is a typo. */
const MAX_LEVEL: Record<Resource, Level> = {
  org: 'manage',
  members: 'manage',
  projects: 'manage',
  environments: 'manage',
  secrets: 'write',
  deploy: 'manage',
  api_keys: 'manage',
  platform_keys: 'manage',
  service_accounts: 'manage',
  webhooks: 'manage',
  effects: 'manage',
  audit: 'read',
  // logs:write is what an app's own credential needs to report its usage (verifications, which
  // feed last-used and the environment's logs): writing bookkeeping, so not a viewer's api_keys:read,
  // and far narrower than api_keys:write, which would let the app mint and revoke keys.
  logs: 'write',
};

const rank = (level: Level) => LEVELS.indexOf(level);

function uniform(level: Level): Record<Resource, Level> {
  return Object.fromEntries(RESOURCES.map((r) => [r, capLevel(r, level)])) as Record<Resource, Level>;
}

function capLevel(resource: Resource, level: Level): Level {
  return rank(level) > rank(MAX_LEVEL[resource]) ? MAX_LEVEL[resource] : level;
}

const DEVELOPER_WRITES: Resource[] = [
  'projects',
  'environments',
  'secrets',
  'deploy',
  'api_keys',
  'platform_keys',
  'webhooks',
  'effects',
  'logs',
];

export const ROLE_PERMISSIONS: Readonly<Record<Role, PermissionSet>> = Object.freeze({
  owner: uniform('manage'),
  // Owner-only acts (deleting the org, transferring ownership) are `org:manage`.
  admin: { ...uniform('manage'), org: 'write' },
  developer: {
    ...uniform('read'),
    ...Object.fromEntries(DEVELOPER_WRITES.map((r) => [r, capLevel(r, 'write')])),
  } as Record<Resource, Level>,
  viewer: { ...uniform('read'), secrets: 'none', audit: 'none' },
});

const PERMISSION_RE = /^([a-z_]+):(read|write|manage)$/;

export function parsePermission(text: string): { resource: Resource; level: Exclude<Level, 'none'> } | null {
  const m = PERMISSION_RE.exec(text.trim());
  if (!m) return null;
  const resource = m[1] as Resource;
  const level = m[2] as Exclude<Level, 'none'>;
  if (!RESOURCES.includes(resource) || rank(level) > rank(MAX_LEVEL[resource])) return null;
  return { resource, level };
}

export function isPermission(text: string): text is Permission {
  return parsePermission(text) !== null;
}

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** Does the set grant `resource:level` (or more)? */
export function can(set: PermissionSet, permission: Permission): boolean {
  const parsed = parsePermission(permission);
  if (!parsed) return false;
  return rank(set[parsed.resource]) >= rank(parsed.level);
}

export function levelOf(set: PermissionSet, resource: Resource): Level {
  return set[resource];
}

/** The permissions a list of `resource:level` scopes describes (the highest level per resource wins). */
export function scopesToSet(scopes: readonly string[]): PermissionSet {
  const set = uniform('none');
  for (const scope of scopes) {
    const p = parsePermission(scope);
    if (p && rank(p.level) > rank(set[p.resource])) set[p.resource] = p.level;
  }
  return set;
}

/** The lower of two levels per resource: a scoped token never exceeds its holder. */
export function intersect(a: PermissionSet, b: PermissionSet): PermissionSet {
  return Object.fromEntries(RESOURCES.map((r) => [r, rank(a[r]) <= rank(b[r]) ? a[r] : b[r]])) as Record<
    Resource,
    Level
  >;
}

/**
 * What a credential may do in an org: its holder's role, capped by its scopes when it has any.
 * `null` scopes mean "everything the role allows" (an unscoped PAT).
 */
export function effectivePermissions(role: Role, scopes: readonly string[] | null): PermissionSet {
  const byRole = ROLE_PERMISSIONS[role];
  return scopes === null ? byRole : intersect(byRole, scopesToSet(scopes));
}

/** Scopes in `wanted` that `holder` does not have: the reasons a key may not be made, or is suspended. */
export function missingPermissions(holder: PermissionSet, wanted: readonly string[]): string[] {
  return wanted.filter((s) => !isPermission(s) || !can(holder, s));
}

export function permissionList(set: PermissionSet): Permission[] {
  return RESOURCES.filter((r) => set[r] !== 'none').map((r) => `${r}:${set[r]}` as Permission);
}

/** Which roles may a member with `role` assign or remove? Admins cannot touch owners or make them. */
export function canManageRole(actorSet: PermissionSet, actorRole: Role, target: Role): boolean {
  if (target === 'owner') return actorRole === 'owner';
  if (target === 'admin') return can(actorSet, 'members:manage');
  return can(actorSet, 'members:write');
}
