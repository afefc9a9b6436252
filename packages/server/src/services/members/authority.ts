import {
  AppError,
  can,
  canManageRole,
  effectivePermissions,
  type Permission,
  type Role,
} from '@latchkey/core';
import type { Tx } from '../../store/db.js';
import { type Actor, type OrgContext, requirePermission, requireUser } from '../actor.js';
import { notFoundOrg } from '../orgs/orgs.service.js';
import * as repo from './members.repo.js';

export function withArticle(role: Role): string {
  return role === 'owner' || role === 'admin' ? `an ${role}` : `a ${role}`;
}

function denied(org: OrgContext, doing: string, required: Permission | 'role:owner'): AppError {
  const who = org.role
    ? `your role in ${org.name} is ${org.role}`
    : `this credential has no role in ${org.name}`;
  const message =
    required === 'role:owner'
      ? `Only an owner can do this (${doing}); ${who}.`
      : `${doing.charAt(0).toUpperCase()}${doing.slice(1)} needs ${required}; this credential has members:${org.permissions.members} in ${org.name}.`;
  return new AppError('PERMISSION_DENIED', message, {
    hint:
      required === 'role:owner'
        ? `Ask an owner of ${org.name} to do it.`
        : `Ask an owner or admin of ${org.name} to do it, or for a role that grants ${required}.`,
    details: { required },
  });
}

/**
 * Who may grant, take away or invite a role (SPEC 3): members:write covers developers and viewers,
 * members:manage covers admins, and only an owner touches owners. An owner's token must also carry
 * members:manage, so a narrowly scoped PAT can never mint an owner.
 */
export function requireRoleAuthority(org: OrgContext, target: Role, doing: string): void {
  if (target === 'owner') {
    if (org.role !== 'owner') throw denied(org, doing, 'role:owner');
    if (!can(org.permissions, 'members:manage')) throw denied(org, doing, 'members:manage');
    return;
  }
  if (!canManageRole(org.permissions, org.role ?? 'viewer', target)) {
    throw denied(org, doing, target === 'admin' ? 'members:manage' : 'members:write');
  }
}

/**
 * The actor's org context re-read under the org lock. The context from the request was resolved
 * before the lock, so a concurrent change (say, the actor was just demoted) would otherwise go
 * unseen; this closes that window for every membership change.
 */
export async function currentContext(tx: Tx, actor: Actor, org: OrgContext, permission: Permission) {
  // Membership changes are made by people: an automation key has no place in the owner chain.
  const user = requireUser(actor);
  const me = await repo.find(tx, org.id, user.userId);
  if (!me) throw notFoundOrg(org.name);
  if (me.role === org.role) return org;
  const fresh = {
    ...org,
    role: me.role,
    permissions: effectivePermissions(me.role, user.credential.scopes),
  };
  return requirePermission({ ...actor, org: fresh }, permission);
}
