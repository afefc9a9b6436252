import { timingSafeEqual } from 'node:crypto';
import {
  AppError,
  generateToken,
  HOUR,
  hashToken,
  LINK_TOKEN_PREFIXES,
  normaliseEmail,
  tokenPrefix,
} from '@latchkey/core';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { passwordResets } from '../../store/schema.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
import type { Mailer } from '../mail/mail.service.js';
import type { IdentityService, RequestMeta } from './identity.service.js';
import type { SignedIn } from './password-sign-in.service.js';
import { hashPassword, passwordProblem } from './passwords.js';
import * as sessionsRepo from './sessions.repo.js';
import * as usersRepo from './users.repo.js';

/** An emailed link is short-lived; an operator's is handed over by a person, so it lasts a day. */
export const RESET_LINK_TTL = { email: HOUR, operator: 24 * HOUR } as const;

export const resetLink = (publicUrl: string, token: string) => `${publicUrl}/reset-password/${token}`;

function invalidLink(): AppError {
  return new AppError('NOT_FOUND', 'This password-reset link is invalid, expired or already used.', {
    hint: 'Ask for a new link on the sign-in page, or ask the server operator for one.',
  });
}

function tokenHashOf(token: string): Buffer {
  if (tokenPrefix(token) !== LINK_TOKEN_PREFIXES.passwordReset) {
    throw new AppError('INVALID_INPUT', 'This is not a valid password-reset link.', {
      hint: 'Open the link exactly as you received it; if it was cut short, ask for a new one.',
      details: { field: 'token' },
    });
  }
  return hashToken(token);
}

/**
 * A new single-use reset token for `user`; earlier unused ones stop working, so only the latest
 * link does. Returns the token (for the link), which is stored only as its hash.
 */
export async function issueResetToken(
  tx: DbOrTx,
  clock: Clock,
  user: { id: string; email: string },
  via: 'email' | 'operator',
  who: AuditActor,
): Promise<string> {
  const now = clock.now();
  await tx
    .update(passwordResets)
    .set({ usedAt: now })
    .where(and(eq(passwordResets.userId, user.id), isNull(passwordResets.usedAt)));
  const token = generateToken(LINK_TOKEN_PREFIXES.passwordReset);
  const id = newId('pwr');
  await tx.insert(passwordResets).values({
    id,
    userId: user.id,
    tokenHash: hashToken(token),
    via,
    createdAt: now,
    expiresAt: new Date(now.getTime() + RESET_LINK_TTL[via]),
  });
  await recordAudit(tx, who, {
    orgId: null,
    action: 'user.password_reset_requested',
    target: { type: 'user', id: user.id },
    data: { via, resetId: id },
  });
  return token;
}

/** `latch server reset-password <email>`: the operator's one-time link, printed instead of mailed. */
export async function createOperatorResetLink(
  db: Db,
  clock: Clock,
  publicUrl: string,
  email: string,
): Promise<{ link: string; email: string; expiresAt: Date }> {
  const normal = normaliseEmail(email);
  const user = normal ? await usersRepo.findByEmail(db, normal) : null;
  if (!user) {
    throw new AppError('NOT_FOUND', `No account for ${email} on this server.`, {
      hint: 'Check the spelling; people without an account join through an invitation.',
    });
  }
  const who: AuditActor = { type: 'system', id: null, label: 'latch server reset-password' };
  const token = await db.transaction((tx) => issueResetToken(tx, clock, user, 'operator', who));
  return {
    link: resetLink(publicUrl, token),
    email: user.email,
    expiresAt: new Date(clock.now().getTime() + RESET_LINK_TTL.operator),
  };
}

export function createPasswordResetService({
  db,
  clock,
  publicUrl,
  mailer,
  identity,
}: {
  db: Db;
  clock: Clock;
  publicUrl: string;
  mailer: Mailer | null;
  identity: IdentityService;
}) {
  async function usable(tx: DbOrTx, token: string) {
    const hash = tokenHashOf(token);
    const [row] = await tx
      .select()
      .from(passwordResets)
      .where(
        and(
          eq(passwordResets.tokenHash, hash),
          isNull(passwordResets.usedAt),
          gt(passwordResets.expiresAt, clock.now()),
        ),
      )
      .limit(1);
    if (!row || !timingSafeEqual(row.tokenHash, hash)) return null;
    const user = await usersRepo.findById(tx, row.userId);
    return user ? { reset: row, user } : null;
  }

  return {
    /** Whether the sign-in page offers "Forgot your password?": only when the link can be mailed. */
    canEmailResetLinks: () => mailer !== null,

    /**
     * Emails a reset link when the address has an account. The caller shows the same answer
     * either way, so the form does not reveal which addresses have accounts.
     */
    async requestByEmail(email: string, meta: RequestMeta): Promise<void> {
      if (!mailer) {
        throw new AppError('SERVICE_UNAVAILABLE', 'This server cannot send email.', {
          hint: 'Ask the server operator to run `latch server reset-password <your email>`.',
        });
      }
      const normal = normaliseEmail(email);
      const user = normal ? await usersRepo.findByEmail(db, normal) : null;
      if (!user) return;
      const who: AuditActor = { type: 'anonymous', id: null, label: user.email, ...meta };
      const token = await db.transaction((tx) => issueResetToken(tx, clock, user, 'email', who));
      await mailer.send({
        to: user.email,
        subject: 'Reset your Latchkey password',
        text: [
          'Someone (hopefully you) asked to reset the password of your Latchkey account.',
          '',
          'Open this link within an hour to choose a new password (it works once):',
          resetLink(publicUrl, token),
          '',
          'If you did not ask for this, ignore this message: your password stays as it is.',
        ].join('\n'),
      });
    },

    /** For the page: the account a link resets, or null when the link cannot be used. */
    async check(token: string): Promise<{ email: string } | null> {
      const found = await usable(db, token);
      return found ? { email: found.user.email } : null;
    },

    /** Sets the new password, ends every browser session of the account and signs in afresh. */
    async reset(token: string, password: string, meta: RequestMeta): Promise<SignedIn> {
      const found = await usable(db, token);
      if (!found) throw invalidLink();
      const problem = passwordProblem(password, { email: found.user.email });
      if (problem) throw new AppError('INVALID_INPUT', problem, { details: { field: 'password' } });
      const passwordHash = await hashPassword(password);
      return db.transaction(async (tx) => {
        // Claiming the link in one conditional UPDATE makes it single-use under concurrent submits.
        const claimed = await tx
          .update(passwordResets)
          .set({ usedAt: clock.now() })
          .where(
            and(
              eq(passwordResets.id, found.reset.id),
              isNull(passwordResets.usedAt),
              gt(passwordResets.expiresAt, clock.now()),
            ),
          )
          .returning({ id: passwordResets.id });
        if (claimed.length === 0) throw invalidLink();
        const { user } = found;
        await usersRepo.setPasswordHash(tx, user.id, passwordHash);
        await sessionsRepo.revokeAllForUser(tx, user.id, clock.now());
        const who: AuditActor = { type: 'user', id: user.id, label: user.email, ...meta };
        await recordAudit(tx, who, {
          orgId: null,
          action: 'user.password_reset',
          target: { type: 'user', id: user.id },
          data: { via: found.reset.via, resetId: found.reset.id },
        });
        await identity.recordSignIn(tx, user, meta, 'password_reset');
        return { userId: user.id, email: user.email, session: await identity.startSession(tx, user.id) };
      });
    },
  };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
