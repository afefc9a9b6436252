import {
  type AcceptedInvitation,
  AppError,
  type CreatedInvitation,
  DAY,
  generateToken,
  hashToken,
  type Invitation,
  LINK_TOKEN_PREFIXES,
  normaliseEmail,
  type PageQuery,
  type Role,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, Tx } from '../../store/db.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, requirePermission, requireUser } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Mailer } from '../mail/mail.service.js';
import { toOrg } from '../orgs/orgs.service.js';
import { currentContext, requireRoleAuthority, withArticle } from './authority.js';
import * as repo from './invitations.repo.js';
import * as membersRepo from './members.repo.js';

export const INVITATION_TTL = 7 * DAY;

export type InvitationsService = ReturnType<typeof createInvitationsService>;

const cursorOf = (r: repo.InvitationRow) => ({ at: r.invitation.createdAt, id: r.invitation.id });

export function toInvitation(row: repo.InvitationRow, now: Date): Invitation {
  const inv = row.invitation;
  // Expiry is not stored as a status: a pending invitation past its time reads as expired.
  const status = inv.status === 'pending' && inv.expiresAt <= now ? 'expired' : inv.status;
  return {
    id: inv.id,
    org: { id: inv.orgId, name: row.orgName },
    email: inv.email,
    role: inv.role,
    status,
    invitedBy: row.inviterEmail,
    createdAt: inv.createdAt.toISOString(),
    expiresAt: inv.expiresAt.toISOString(),
  };
}

/** `status` is the final state it reached, or null when a concurrent answer won the race. */
function alreadyAnswered(id: string, status: string | null): AppError {
  return new AppError('CONFLICT', `Invitation ${id} was already ${status ?? 'answered a moment ago'}.`, {
    hint:
      status === 'accepted'
        ? 'It is used up; to change access, update or remove the member instead.'
        : 'It can no longer be used; ask for a new invitation if you still need one.',
    details: { status },
  });
}

/** Addressed to someone else answers exactly like missing: ids are not a way to probe other people. */
function notYours(id: string, email: string): AppError {
  return new AppError('NOT_FOUND', `No invitation ${id} for ${email}.`, {
    hint: 'Run `latch invites list` to see the invitations addressed to you.',
  });
}

/** The page that opens an invitation; the token is in the path, which the log redaction recognises. */
export const invitationLink = (publicUrl: string, token: string) => `${publicUrl}/invite/${token}`;

function invitationMail(inv: Invitation, link: string) {
  const by = inv.invitedBy ? `${inv.invitedBy} invited you` : 'You are invited';
  return {
    to: inv.email,
    subject: `Join ${inv.org.name} on Latchkey`,
    text: [
      `${by} to join ${inv.org.name} on Latchkey as ${withArticle(inv.role)}.`,
      '',
      'Open this link to accept (it works once, until ' + inv.expiresAt.slice(0, 10) + '):',
      link,
      '',
      'If you did not expect this invitation, ignore this message.',
    ].join('\n'),
  };
}

export function createInvitationsService({
  db,
  clock,
  publicUrl,
  mailer,
}: {
  db: Db;
  clock: Clock;
  publicUrl: string;
  mailer: Mailer | null;
}) {
  /** The invitation addressed to the caller, still pending, or a clear reason why not. */
  async function findOpen(tx: Tx, actor: Actor, id: string, allowExpired: boolean) {
    const user = requireUser(actor);
    const row = await repo.findForEmail(tx, user.email, id);
    if (!row) throw notYours(id, user.email);
    const inv = row.invitation;
    if (inv.status !== 'pending') throw alreadyAnswered(id, inv.status);
    if (!allowExpired && inv.expiresAt <= clock.now()) {
      throw new AppError(
        'CONFLICT',
        `Invitation ${id} to ${row.orgName} expired on ${inv.expiresAt.toISOString()}.`,
        {
          hint: `Ask an owner or admin of ${row.orgName} to invite you again.`,
          details: { status: 'expired', expiredAt: inv.expiresAt.toISOString() },
        },
      );
    }
    return row;
  }

  async function decide(tx: Tx, row: repo.InvitationRow, status: 'accepted' | 'declined' | 'revoked') {
    const decided = await repo.decide(tx, row.invitation.id, status, clock.now());
    // Someone else answered it between our read and this update.
    if (!decided) throw alreadyAnswered(row.invitation.id, null);
    return { ...row, invitation: decided };
  }

  return {
    /**
     * Makes the invitation and its single-use link. With a mail server the link is emailed;
     * without one it is in the answer, once, for the inviter to pass on. Only its hash is stored.
     */
    async create(actor: Actor, input: { email: string; role: Role }): Promise<CreatedInvitation> {
      const requestOrg = requirePermission(actor, 'members:write');
      const email = normaliseEmail(input.email);
      if (!email) {
        throw new AppError('INVALID_INPUT', 'Enter a valid email address.', {
          hint: 'Use an address like name@example.com, in ASCII letters, digits and punctuation.',
        });
      }
      const doing = `inviting ${withArticle(input.role)}`;
      requireRoleAuthority(requestOrg, input.role, doing);
      const now = clock.now();
      const token = generateToken(LINK_TOKEN_PREFIXES.invitation);
      const invitation = await db.transaction(async (tx) => {
        // Same lock as membership changes and accepts: neither "already a member" nor the
        // inviter's own role can go stale under us.
        await membersRepo.lockOrg(tx, requestOrg.id);
        const org = await currentContext(tx, actor, requestOrg, 'members:write');
        requireRoleAuthority(org, input.role, doing);
        const member = await membersRepo.find(tx, org.id, email);
        if (member) {
          throw new AppError('CONFLICT', `${email} is already a member of ${org.name} (${member.role}).`, {
            hint: 'To give them another role, change their member role instead of inviting them.',
          });
        }
        const pending = await repo.findPending(tx, org.id, email);
        if (pending && pending.expiresAt > now) {
          throw new AppError(
            'CONFLICT',
            `${email} is already invited to ${org.name} (${pending.id}, as ${pending.role}).`,
            {
              hint: `Ask them to run \`latch invites accept ${pending.id}\`, or revoke it first to invite with another role.`,
              details: { invitationId: pending.id },
            },
          );
        }
        if (pending) {
          // An expired invitation still holds the one-pending-per-email slot: retire it.
          await repo.decide(tx, pending.id, 'revoked', now);
          await recordAudit(tx, actor, {
            orgId: org.id,
            action: 'invitation.revoked',
            target: { type: 'invitation', id: pending.id },
            data: { email, role: pending.role, reason: 'expired, replaced by a new invitation' },
          });
        }
        const created = await repo.insert(tx, {
          id: newId('inv'),
          orgId: org.id,
          email,
          role: input.role,
          invitedBy: requireUser(actor).userId,
          status: 'pending',
          createdAt: now,
          expiresAt: new Date(now.getTime() + INVITATION_TTL),
          tokenHash: hashToken(token),
        });
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'invitation.created',
          target: { type: 'invitation', id: created.id },
          data: {
            email,
            role: input.role,
            expiresAt: created.expiresAt.toISOString(),
            delivery: mailer ? 'email' : 'link',
          },
        });
        return toInvitation(
          { invitation: created, orgName: org.name, inviterEmail: requireUser(actor).email },
          now,
        );
      });
      const link = invitationLink(publicUrl, token);
      if (!mailer) return { ...invitation, delivery: 'link', link };
      // Sent after the commit: no transaction (and no lock on the org) waits on a mail server.
      try {
        await mailer.send(invitationMail(invitation, link));
      } catch (err) {
        // Nobody can ever open a link that was not delivered: retire the invitation, so that
        // inviting again works at once instead of answering "already invited".
        await db.transaction(async (tx) => {
          if (!(await repo.decide(tx, invitation.id, 'revoked', clock.now()))) return;
          await recordAudit(tx, actor, {
            orgId: invitation.org.id,
            action: 'invitation.revoked',
            target: { type: 'invitation', id: invitation.id },
            data: { email, role: invitation.role, reason: 'the invitation email could not be sent' },
          });
        });
        throw err;
      }
      return { ...invitation, delivery: 'email', link: null };
    },

    async listForOrg(actor: Actor, query: PageQuery): Promise<Page<Invitation>> {
      const org = requirePermission(actor, 'members:read');
      const rows = await repo.listPendingForOrg(db, org.id, query.limit, decodeCursor(query.cursor));
      const now = clock.now();
      return toPage(rows, query.limit, (r) => toInvitation(r, now), cursorOf);
    },

    async revoke(actor: Actor, id: string): Promise<Invitation> {
      const org = requirePermission(actor, 'members:write');
      return db.transaction(async (tx) => {
        const row = await repo.findInOrg(tx, org.id, id);
        if (!row) {
          throw new AppError('NOT_FOUND', `No invitation ${id} in ${org.name}.`, {
            hint: 'Run `latch team members` to see the pending invitations.',
          });
        }
        if (row.invitation.status !== 'pending') throw alreadyAnswered(id, row.invitation.status);
        requireRoleAuthority(
          org,
          row.invitation.role,
          `revoking an invitation for ${withArticle(row.invitation.role)}`,
        );
        const revoked = await decide(tx, row, 'revoked');
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'invitation.revoked',
          target: { type: 'invitation', id },
          data: { email: row.invitation.email, role: row.invitation.role },
        });
        return toInvitation(revoked, clock.now());
      });
    },

    /** Invitations addressed to the caller's email that can still be accepted. */
    async listMine(actor: Actor, query: PageQuery): Promise<Page<Invitation>> {
      const user = requireUser(actor);
      const now = clock.now();
      const rows = await repo.listOpenForEmail(db, user.email, now, query.limit, decodeCursor(query.cursor));
      return toPage(rows, query.limit, (r) => toInvitation(r, now), cursorOf);
    },

    /** Joins the org with the invited role; the invitation and the membership commit together. */
    async accept(actor: Actor, id: string): Promise<AcceptedInvitation> {
      return db.transaction(async (tx) => {
        const row = await findOpen(tx, actor, id, false);
        const inv = row.invitation;
        const org = await membersRepo.lockOrg(tx, inv.orgId);
        if (!org) throw notYours(id, requireUser(actor).email);
        const accepted = await decide(tx, row, 'accepted');
        const joined = await membersRepo.add(tx, {
          orgId: inv.orgId,
          userId: requireUser(actor).userId,
          role: inv.role,
          createdAt: clock.now(),
        });
        if (!joined) {
          throw new AppError('CONFLICT', `You are already a member of ${org.name}.`, {
            hint: `Decline the invitation with \`latch invites decline ${id}\`, or ask an admin to change your role.`,
          });
        }
        await recordAudit(tx, actor, {
          orgId: inv.orgId,
          action: 'invitation.accepted',
          target: { type: 'invitation', id },
          data: { email: inv.email, role: inv.role, userId: requireUser(actor).userId },
        });
        return { invitation: toInvitation(accepted, clock.now()), org: toOrg(org, inv.role) };
      });
    },

    /** Declining an expired invitation is allowed: it only tidies up. */
    async decline(actor: Actor, id: string): Promise<Invitation> {
      return db.transaction(async (tx) => {
        const row = await findOpen(tx, actor, id, true);
        const declined = await decide(tx, row, 'declined');
        await recordAudit(tx, actor, {
          orgId: row.invitation.orgId,
          action: 'invitation.declined',
          target: { type: 'invitation', id },
          data: { email: row.invitation.email, role: row.invitation.role },
        });
        return toInvitation(declined, clock.now());
      });
    },
  };
}
