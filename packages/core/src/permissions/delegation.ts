import {
  missingPermissions,
  type Permission,
  type PermissionSet,
  permissionList,
  RESOURCES,
  scopesToSet,
} from './permissions.js';

/**
 * The one rule behind every credential Latchkey hands out: a credential may only mint, or receive
 * (by rotation), credentials no wider and no longer-lived than itself. Every service that creates
 * or rotates a credential measures both sides with `Reach` and asks `overreach`.
 */
export type Reach = {
  /** What the credential may do in the org concerned (or, for PATs, what its scopes allow). */
  permissions: PermissionSet;
  /** When it stops working; null means never. */
  expiresAt: Date | null;
};

/**
 * The credential that asks. `bounded` is false only for a person's own unscoped credential: it
 * stands for the person, whose authority (their current role) does not end with one login token;
 * otherwise a 120-day sign-in could never make the 365-day keys SPEC 2 allows. Every other
 * credential (a scoped PAT, a platform key, a service-account key) is a delegation, and a
 * delegation never outlives itself through what it makes.
 */
export type Minter = Reach & { bounded: boolean };

export type Overreach = {
  /** Permissions the new credential would have that the minter lacks. */
  missing: Permission[];
  /** The new credential would work after the minter stops working. */
  outlives: boolean;
};

/** Everything: what an unscoped PAT's scopes allow before its holder's role caps it. */
export const ALL_PERMISSIONS: PermissionSet = scopesToSet(
  RESOURCES.flatMap((r) => ['read', 'write', 'manage'].map((l) => `${r}:${l}`)),
);

/** What a PAT's scopes allow, role aside: null scopes allow everything. */
export function scopeReach(scopes: readonly string[] | null): PermissionSet {
  return scopes === null ? ALL_PERMISSIONS : scopesToSet(scopes);
}

/** Does `a` end after `b`? null is "never". */
function endsAfter(a: Date | null, b: Date | null): boolean {
  if (b === null) return false;
  return a === null || a.getTime() > b.getTime();
}

/** Why `minter` may not make (or receive) a credential of reach `wanted`; null when it may. */
export function overreach(minter: Minter, wanted: Reach): Overreach | null {
  const missing = missingPermissions(minter.permissions, permissionList(wanted.permissions)) as Permission[];
  const outlives = minter.bounded && endsAfter(wanted.expiresAt, minter.expiresAt);
  return missing.length > 0 || outlives ? { missing, outlives } : null;
}

/**
 * The expiry of a credential made without an explicit one: the kind's default, but never past a
 * bounded minter's own end (asking explicitly for longer is refused instead, see `overreach`).
 */
export function defaultExpiry(
  minter: Pick<Minter, 'expiresAt' | 'bounded'>,
  kindDefault: Date | null,
): Date | null {
  if (!minter.bounded || minter.expiresAt === null) return kindDefault;
  return endsAfter(kindDefault, minter.expiresAt) ? minter.expiresAt : kindDefault;
}
