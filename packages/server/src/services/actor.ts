import {
  AppError,
  can,
  type Permission,
  type PermissionSet,
  parsePermission,
  ROLE_PERMISSIONS,
  type Role,
} from '@latchkey/core';

export type Credential = {
  /** `oidc`: a bearer token from the upstream provider; its id is the identity link's. */
  type: 'pat' | 'session' | 'platform_key' | 'service_account_key' | 'oidc';
  id: string;
  /** `resource:level` scopes that cap the holder; null means no cap (an unscoped PAT). */
  scopes: string[] | null;
  expiresAt: Date | null;
};

/** Who presented the credential: a person, a platform key (acting for its creator) or a service account. */
export type Principal =
  | { kind: 'user'; userId: string; email: string; credential: Credential }
  | { kind: 'platform_key'; orgId: string; createdBy: string | null; name: string; credential: Credential }
  | {
      kind: 'service_account';
      orgId: string;
      serviceAccountId: string;
      name: string;
      role: Exclude<Role, 'owner'>;
      credential: Credential;
    };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** The org a request acts in, with what the principal may do there. */
export type OrgContext = {
  id: string;
  name: string;
  personal: boolean;
  role: Role | null;
  permissions: PermissionSet;
};

/** Travels explicitly into every service call (DESIGN rule 2): no ambient request state. */
export type Actor = {
  principal: Principal;
  org: OrgContext | null;
  requestId: string | null;
  ip: string | null;
};

export function actorFor(principal: Principal, extra: Partial<Omit<Actor, 'principal'>> = {}): Actor {
  return { principal, org: null, requestId: null, ip: null, ...extra };
}

/** The service-side permission check: the org context must exist and grant `permission`. */
export function requirePermission(actor: Actor, permission: Permission): OrgContext {
  const org = actor.org;
  if (!org) throw new AppError('INTERNAL', `No org context for a ${permission} check`);
  if (!can(org.permissions, permission)) throw permissionDenied(org, permission, actor.principal);
  return org;
}

export function permissionDenied(org: OrgContext, permission: Permission, principal?: Principal): AppError {
  const parsed = parsePermission(permission);
  const have = parsed ? org.permissions[parsed.resource] : 'none';
  const who = org.role ? `your role (${org.role}) in ${org.name}` : `this credential in ${org.name}`;
  return new AppError(
    'PERMISSION_DENIED',
    `This needs ${permission}; ${who} has ${parsed?.resource}:${have}.`,
    { hint: deniedHint(org, permission, principal), details: { required: permission } },
  );
}

/**
 * What to do about a missing permission depends on what was presented: a person asks for a role,
 * but a key's fix is a key with that scope, and a scoped PAT's is a token whose scopes include it.
 */
export function deniedHint(org: OrgContext, permission: Permission, principal?: Principal): string {
  const role = 'Ask an owner or admin of the org for a role that grants it.';
  if (!principal) return role;
  const scopes = principal.credential.scopes;
  if (principal.kind === 'platform_key') {
    return `A platform key can only do what its scopes allow: use one with ${permission} (\`latch keys create <name> -s ${permission}\`); its creator's role must allow it too.`;
  }
  if (principal.kind === 'service_account') {
    return `Service account ${principal.name} has role ${principal.role}: ask an owner or admin of the org to give it a role that grants ${permission}.`;
  }
  if (scopes !== null && org.role && can(ROLE_PERMISSIONS[org.role], permission)) {
    return `Your role allows it, but this token's scopes leave it out: create a token with ${permission} (\`latch pats create <name> -s ${permission}\`), or sign in with \`latch login\`.`;
  }
  return role;
}

export function requireUser(actor: Actor): UserPrincipal {
  if (actor.principal.kind !== 'user') {
    throw new AppError('PERMISSION_DENIED', 'Only a person can do this, not an automation key.', {
      hint: 'Sign in with `latch login` and use your personal access token.',
    });
  }
  return actor.principal;
}
