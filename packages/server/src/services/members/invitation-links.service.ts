import { timingSafeEqual } from 'node:crypto';
import {
  type AcceptedInvitation,
  AppError,
  hashToken,
  type Invitation,
  LINK_TOKEN_PREFIXES,
  tokenPrefix,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db, Tx } from '../../store/db.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
import type { IdentityService, RequestMeta } from '../identity/identity.service.js';
import { hashPassword, passwordProblem } from '../identity/passwords.js';
import * as usersRepo from '../identity/users.repo.js';
import { toOrg } from '../orgs/orgs.service.js';
import * as repo from './invitations.repo.js';
import { toInvitation } from './invitations.service.js';
import * as membersRepo from './members.repo.js';

/** What opening a link finds: an invitation that can be used, or the state that ended it. */
export type InvitationLinkView = {
  invitation: Invitation;
  /** `pending` here means it can still be accepted. */
  state: Invitation['status'];
  /** Whether an account with the invited email exists: sign in to accept, or sign up. */
  hasAccount: boolean;
};

export type JoinedByLink = AcceptedInvitation & { userId: string; email: string; session: string | null };

export const NAME_MAX_LENGTH = 100;

/** Checked before any database work: a mistyped or truncated link is refused by shape and checksum. */
function parseLinkToken(token: string): Buffer {
  if (tokenPrefix(token) !== LINK_TOKEN_PREFIXES.invitation) {
    throw new AppError('INVALID_INPUT', 'This is not a valid invitation link.', {
      hint: 'Open the link exactly as it was sent to you; if it was cut short, ask for a new invitation.',
      details: { field: 'token' },
    });
  }
  return hashToken(token);
}

function unknownLink(): AppError {
  return new AppError('NOT_FOUND', 'This invitation link does not exist.', {
    hint: 'Ask an owner or admin of the org for a new invitation.',
  });
}

/** The link no longer works; `status` says why (the page shows a sentence per state). */
function closedLink(view: InvitationLinkView): AppError {
  const org = view.invitation.org.name;
  const why: Record<string, string> = {
    expired: `This invitation to ${org} expired on ${view.invitation.expiresAt.slice(0, 10)}.`,
    accepted: `This invitation to ${org} was already used.`,
    declined: `This invitation to ${org} was declined.`,
    revoked: `This invitation to ${org} was revoked.`,
  };
  return new AppError('CONFLICT', why[view.state] ?? `This invitation to ${org} can no longer be used.`, {
    hint:
      view.state === 'accepted'
        ? 'If that was you, sign in at /login. Otherwise ask an owner or admin for a new invitation.'
        : `Ask an owner or admin of ${org} to invite you again.`,
    details: { status: view.state },
  });
}

/**
 * Invitation links: opening one, accepting it as the signed-in user, or creating the account it
 * was sent to. The token is the whole credential, so it is looked up by its hash only, and every
 * acceptance claims the invitation in one conditional UPDATE (single use).
 */
export function createInvitationLinksService({
  db,
  clock,
  identity,
}: {
  db: Db;
  clock: Clock;
  identity: IdentityService;
}) {
  async function find(
    tx: Db | Tx,
    token: string,
  ): Promise<{ row: repo.InvitationRow; view: InvitationLinkView }> {
    const hash = parseLinkToken(token);
    const row = await repo.findByTokenHash(tx, hash);
    // The index found the row by hash; the explicit constant-time check keeps that true if the
    // look-up ever changes (a prefix index, a cache).
    if (!row?.invitation.tokenHash || !timingSafeEqual(row.invitation.tokenHash, hash)) throw unknownLink();
    const invitation = toInvitation(row, clock.now());
    const account = await usersRepo.findByEmail(tx, invitation.email);
    return { row, view: { invitation, state: invitation.status, hasAccount: !!account } };
  }

  /** Joins the org in `tx`, claiming the invitation; the caller commits or rolls back both. */
  async function join(
    tx: Tx,
    row: repo.InvitationRow,
    view: InvitationLinkView,
    user: AuditActor & { id: string },
  ) {
    const inv = row.invitation;
    const org = await membersRepo.lockOrg(tx, inv.orgId);
    if (!org) throw unknownLink();
    const claimed = await repo.claim(tx, inv.id, clock.now());
    if (!claimed) {
      const now = await repo.findByTokenHash(tx, inv.tokenHash!);
      throw closedLink(now ? { ...view, state: toInvitation(now, clock.now()).status } : view);
    }
    const joined = await membersRepo.add(tx, {
      orgId: inv.orgId,
      userId: user.id,
      role: inv.role,
      createdAt: clock.now(),
    });
    if (!joined) {
      throw new AppError('CONFLICT', `You are already a member of ${org.name}.`, {
        hint: 'Nothing to accept: the invitation stays unused. Ask an admin if you need another role.',
      });
    }
    await recordAudit(tx, user, {
      orgId: inv.orgId,
      action: 'invitation.accepted',
      target: { type: 'invitation', id: inv.id },
      data: { email: inv.email, role: inv.role, userId: user.id, via: 'link' },
    });
    return {
      invitation: toInvitation({ ...row, invitation: claimed }, clock.now()),
      org: toOrg(org, inv.role),
    };
  }

  return {
    /** For the page: the invitation behind a link, in whatever state it is. */
    async open(token: string): Promise<InvitationLinkView> {
      return (await find(db, token)).view;
    },

    /** The signed-in person accepts. Only the account of the invited email can. */
    async acceptAsUser(
      user: { id: string; email: string },
      token: string,
      meta: RequestMeta,
    ): Promise<JoinedByLink> {
      return db.transaction(async (tx) => {
        const { row, view } = await find(tx, token);
        if (view.state !== 'pending') throw closedLink(view);
        if (user.email !== view.invitation.email) {
          throw new AppError(
            'PERMISSION_DENIED',
            `This invitation is for ${view.invitation.email}, and you are signed in as ${user.email}.`,
            {
              hint: `Sign out and sign in as ${view.invitation.email}, or ask for an invitation to ${user.email}.`,
            },
          );
        }
        const joined = await join(tx, row, view, { type: 'user', id: user.id, label: user.email, ...meta });
        return { ...joined, userId: user.id, email: user.email, session: null };
      });
    },

    /** Creates the invited person's account (name and password) and joins, signed in. */
    async signUp(
      token: string,
      input: { name: string; password: string },
      meta: RequestMeta,
    ): Promise<JoinedByLink> {
      const { view } = await find(db, token);
      if (view.state !== 'pending') throw closedLink(view);
      const email = view.invitation.email;
      if (view.hasAccount) {
        throw new AppError('CONFLICT', `There is already an account for ${email}.`, {
          hint: 'Sign in with it to accept the invitation.',
        });
      }
      const name = input.name.trim();
      if (!name || name.length > NAME_MAX_LENGTH) {
        throw new AppError('INVALID_INPUT', `Enter your name (1 to ${NAME_MAX_LENGTH} characters).`, {
          hint: 'It is shown to the other members of your orgs.',
          details: { field: 'name' },
        });
      }
      const problem = passwordProblem(input.password, { email });
      if (problem) {
        throw new AppError('INVALID_INPUT', problem, {
          hint: 'A passphrase of a few unrelated words is long and easy to remember.',
          details: { field: 'password' },
        });
      }
      // Hashed outside the transaction: argon2 is slow and must not hold a connection and a lock.
      const passwordHash = await hashPassword(input.password);
      return db.transaction(async (tx) => {
        // The org's lock first: a second sign-up from the same link waits here, then finds it used.
        await membersRepo.lockOrg(tx, view.invitation.org.id);
        const again = await find(tx, token);
        if (again.view.state !== 'pending') throw closedLink(again.view);
        if (again.view.hasAccount) {
          throw new AppError('CONFLICT', `There is already an account for ${email}.`, {
            hint: 'Sign in with it to accept the invitation.',
          });
        }
        const user = await identity.createUser(tx, { email, name, passwordHash }, meta, 'invitation');
        const joined = await join(tx, again.row, again.view, {
          type: 'user',
          id: user.id,
          label: user.email,
          ...meta,
        });
        await identity.recordSignIn(tx, user, meta, 'invitation');
        return {
          ...joined,
          userId: user.id,
          email: user.email,
          session: await identity.startSession(tx, user.id),
        };
      });
    },
  };
}

export type InvitationLinksService = ReturnType<typeof createInvitationLinksService>;
