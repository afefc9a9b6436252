import { randomBytes } from 'node:crypto';
import { AppError, HOUR, hashToken, normaliseEmail } from '@latchkey/core';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { ServerConfig } from '../../config.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { setupTokens } from '../../store/schema.js';
import { recordAudit } from '../audit/audit.service.js';
import type { IdentityService, RequestMeta } from './identity.service.js';
import type { SignedIn } from './password-sign-in.service.js';
import { hashPassword, passwordProblem } from './passwords.js';
import * as usersRepo from './users.repo.js';

export const SETUP_LINK_TTL = 24 * HOUR;
/** Serialises first-owner creation across requests and server nodes. */
const SETUP_LOCK = 7_420_002;

function invalidLink(): AppError {
  return new AppError('NOT_FOUND', 'This setup link is invalid, expired or already used.', {
    hint: 'Sign in at /login. A new link is printed only when the server starts on an empty database.',
  });
}

/** The one-time link that creates the first owner of a production server. */
export function createSetupService({
  db,
  clock,
  config,
  identity,
}: {
  db: Db;
  clock: Clock;
  config: ServerConfig;
  identity: IdentityService;
}) {
  async function usable(tx: DbOrTx, token: string): Promise<boolean> {
    if (!token || token.length > 100) return false;
    const [row] = await tx
      .select({ expiresAt: setupTokens.expiresAt })
      .from(setupTokens)
      .where(
        and(
          eq(setupTokens.tokenHash, hashToken(token)),
          isNull(setupTokens.usedAt),
          gt(setupTokens.expiresAt, clock.now()),
        ),
      )
      .limit(1);
    return !!row && (await usersRepo.count(tx)) === 0;
  }

  return {
    /** A link only while the server has no users; only the token's SHA-256 is stored. */
    async createSetupLink(): Promise<string | null> {
      if ((await usersRepo.count(db)) > 0) return null;
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      await db.insert(setupTokens).values({
        tokenHash: hashToken(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + SETUP_LINK_TTL),
      });
      return `${config.publicUrl}/setup?token=${token}`;
    },

    /** For the setup page: show the form only for a link that can still be used. */
    checkSetupToken: (token: string) => usable(db, token),

    async completeSetup(
      token: string,
      email: string,
      password: string,
      meta: RequestMeta,
    ): Promise<SignedIn> {
      const normalEmail = normaliseEmail(email);
      if (!normalEmail) {
        throw new AppError('INVALID_INPUT', 'Enter a valid email address.', {
          hint: 'Use an address like name@example.com, in ASCII letters, digits and punctuation.',
          details: { field: 'email' },
        });
      }
      const problem = passwordProblem(password);
      if (problem) throw new AppError('INVALID_INPUT', problem, { details: { field: 'password' } });
      if (!(await usable(db, token))) throw invalidLink();
      // Hash outside the transaction: argon2 is slow and must not hold a connection and a lock.
      const passwordHash = await hashPassword(password);

      return db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(${SETUP_LOCK})`);
        if ((await usersRepo.count(tx)) > 0) throw invalidLink();
        // Claiming the token in one UPDATE makes it single-use even under concurrent submits.
        const claimed = await tx
          .update(setupTokens)
          .set({ usedAt: clock.now() })
          .where(
            and(
              eq(setupTokens.tokenHash, hashToken(token)),
              isNull(setupTokens.usedAt),
              gt(setupTokens.expiresAt, clock.now()),
            ),
          )
          .returning({ createdAt: setupTokens.createdAt });
        if (claimed.length === 0) throw invalidLink();

        const user = await identity.createUser(tx, { email: normalEmail, passwordHash }, meta, 'setup');
        await recordAudit(
          tx,
          { type: 'user', id: user.id, label: user.email, ...meta },
          { orgId: null, action: 'server.setup_completed', target: { type: 'user', id: user.id } },
        );
        await identity.recordSignIn(tx, user, meta, 'setup');
        return { userId: user.id, email: user.email, session: await identity.startSession(tx, user.id) };
      });
    },
  };
}
