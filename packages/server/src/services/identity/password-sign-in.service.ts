import { AppError, normaliseEmail } from '@latchkey/core';
import type { Db } from '../../store/db.js';
import { recordAudit } from '../audit/audit.service.js';
import type { IdentityService, RequestMeta } from './identity.service.js';
import { dummyPasswordHash, PASSWORD_MAX_LENGTH, verifyPassword } from './passwords.js';
import * as usersRepo from './users.repo.js';

export type SignedIn = { userId: string; email: string; session: string };

/** One answer for every failure, so it cannot tell an unknown email from a wrong password. */
function wrongCredentials(): AppError {
  return new AppError('UNAUTHENTICATED', 'Wrong email or password.', {
    hint: 'Check both and try again; ask an owner of your org if you have no password yet.',
  });
}

/**
 * Email + password sign-in. Rate limits are the caller's (HTTP) concern and are spent before this
 * runs; this keeps the answer and its timing the same whether or not the account exists.
 */
export function createPasswordSignInService({ db, identity }: { db: Db; identity: IdentityService }) {
  // Computed now, so the first unknown-email sign-in is not slower than the ones after it.
  dummyPasswordHash().catch(() => {});
  return {
    async signInWithPassword(email: string, password: string, meta: RequestMeta): Promise<SignedIn> {
      // The same normalisation as on sign-up and in the rate limiter; anything else names nobody.
      const normal = normaliseEmail(email);
      const cleanEmail = normal ?? email.trim().slice(0, 254);
      const user = normal ? await usersRepo.findByEmail(db, normal) : null;
      // Always run one argon2 verification, real or dummy, so both paths cost the same.
      const stored = user?.passwordHash ?? (await dummyPasswordHash());
      const matches =
        (await verifyPassword(stored, password.slice(0, PASSWORD_MAX_LENGTH + 1))) && !!user?.passwordHash;

      if (!user || !matches) {
        const reason = !user ? 'unknown_email' : user.passwordHash ? 'wrong_password' : 'no_password_set';
        await recordAudit(
          db,
          { type: 'anonymous', id: null, label: cleanEmail || null, ...meta },
          {
            orgId: null,
            action: 'user.sign_in_failed',
            ...(user ? { target: { type: 'user', id: user.id } } : {}),
            data: { email: cleanEmail, reason, via: 'password' },
          },
        );
        throw wrongCredentials();
      }

      return db.transaction(async (tx) => {
        await identity.recordSignIn(tx, user, meta, 'password');
        return { userId: user.id, email: user.email, session: await identity.startSession(tx, user.id) };
      });
    },
  };
}
