import { AppError, type Member, type PageQuery, type Permission, type Role } from '@latchkey/core';
import type { Db, Tx } from '../../store/db.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, type OrgContext, requirePermission, requireUser } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import type { OrgRow } from '../orgs/orgs.repo.js';
import { currentContext, requireRoleAuthority, withArticle } from './authority.js';
import * as repo from './members.repo.js';

export type MembersService = ReturnType<typeof createMembersService>;

export function toMember(row: repo.MemberRow): Member {
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    joinedAt: row.joinedAt.toISOString(),
  };
}

function memberNotFound(ref: string, org: OrgContext): AppError {
  return new AppError('NOT_FOUND', `${ref} is not a member of ${org.name}.`, {
    hint: 'Run `latch team members` to see who is; give a user id or an email address.',
  });
}

/** Personal orgs belong to their user: that user stays an owner for as long as the org exists. */
function refusePersonalOwner(org: OrgRow, member: repo.MemberRow, act: string): void {
  if (org.personalFor !== member.userId) return;
  throw new AppError(
    'CONFLICT',
    `${org.name} is the personal org of ${member.email}, who always stays its owner.`,
    {
      hint: `You cannot ${act} the owner of a personal org. Create a shared org with \`latch org create <name>\` instead.`,
    },
  );
}

/** Must run after lockOrg, so the count cannot change before the transaction commits. */
async function refuseLastOwner(
  tx: Tx,
  org: OrgContext,
  member: repo.MemberRow,
  act: 'remove' | 'demote' | 'leave',
) {
  if (member.role !== 'owner' || (await repo.countOwners(tx, org.id)) > 1) return;
  const message =
    act === 'leave'
      ? `You cannot leave ${org.name}: you are its last owner.`
      : `Cannot ${act} ${member.email}: they are the last owner of ${org.name}.`;
  throw new AppError('CONFLICT', message, {
    hint: 'An org must always keep at least one owner. Make another member an owner first, then try again.',
  });
}

export function createMembersService({ db }: { db: Db }) {
  /** Locks the org, re-reads the actor's role and finds the member; every change below starts here. */
  async function lockAndFind(
    tx: Tx,
    actor: Actor,
    requestOrg: OrgContext,
    ref: string,
    permission: Permission,
  ) {
    const locked = await repo.lockOrg(tx, requestOrg.id);
    if (!locked) throw memberNotFound(ref, requestOrg);
    const org = await currentContext(tx, actor, requestOrg, permission);
    const member = await repo.find(tx, org.id, ref);
    if (!member) throw memberNotFound(ref, org);
    return { org, locked, member };
  }

  async function removeLocked(tx: Tx, actor: Actor, org: OrgContext, locked: OrgRow, member: repo.MemberRow) {
    const leaving = member.userId === requireUser(actor).userId;
    refusePersonalOwner(locked, member, 'remove');
    await refuseLastOwner(tx, org, member, leaving ? 'leave' : 'remove');
    await repo.remove(tx, org.id, member.userId);
    await recordAudit(tx, actor, {
      orgId: org.id,
      action: 'member.removed',
      target: { type: 'user', id: member.userId },
      data: { email: member.email, role: member.role, left: leaving },
    });
    return toMember(member);
  }

  return {
    async list(actor: Actor, query: PageQuery): Promise<Page<Member>> {
      const org = requirePermission(actor, 'members:read');
      const rows = await repo.list(db, org.id, query.limit, decodeCursor(query.cursor));
      return toPage(rows, query.limit, toMember, (r) => ({ at: r.joinedAt, id: r.userId }));
    },

    async changeRole(actor: Actor, ref: string, role: Role): Promise<Member> {
      const requestOrg = requirePermission(actor, 'members:manage');
      return db.transaction(async (tx) => {
        const { org, locked, member } = await lockAndFind(tx, actor, requestOrg, ref, 'members:manage');
        if (member.role === role) return toMember(member);
        requireRoleAuthority(org, member.role, `changing the role of ${withArticle(member.role)}`);
        requireRoleAuthority(org, role, `making someone ${withArticle(role)}`);
        if (member.role === 'owner') {
          refusePersonalOwner(locked, member, 'demote');
          await refuseLastOwner(tx, org, member, 'demote');
        }
        await repo.setRole(tx, org.id, member.userId, role);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'member.role_changed',
          target: { type: 'user', id: member.userId },
          data: { email: member.email, from: member.role, to: role },
        });
        return toMember({ ...member, role });
      });
    },

    /**
     * Removes `ref` (user id or email). Removing yourself is leaving, which your own role never
     * forbids; removing someone else needs authority over their role.
     */
    async remove(actor: Actor, ref: string): Promise<Member> {
      const requestOrg = requirePermission(actor, 'members:write');
      return db.transaction(async (tx) => {
        const { org, locked, member } = await lockAndFind(tx, actor, requestOrg, ref, 'members:write');
        if (member.userId !== requireUser(actor).userId) {
          requireRoleAuthority(org, member.role, `removing ${withArticle(member.role)}`);
        }
        return removeLocked(tx, actor, org, locked, member);
      });
    },

    /** Leaving needs only membership (org:read), so developers and viewers can leave too. */
    async leave(actor: Actor): Promise<Member> {
      const user = requireUser(actor);
      const requestOrg = requirePermission(actor, 'org:read');
      return db.transaction(async (tx) => {
        const { org, locked, member } = await lockAndFind(tx, actor, requestOrg, user.userId, 'org:read');
        return removeLocked(tx, actor, org, locked, member);
      });
    },
  };
}
