import { randomBytes } from 'node:crypto';
import { AppError, DAY, HOUR, hashToken, type Me, MINUTE, normaliseEmail } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { ServerConfig } from '../../config.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import type { Actor } from '../actor.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import * as tokensRepo from '../tokens/tokens.repo.js';
import * as sessionsRepo from './sessions.repo.js';
import * as usersRepo from './users.repo.js';

export const SESSION_IDLE = 12 * HOUR;
export const SESSION_ABSOLUTE = 7 * DAY;

export type SessionUser = { sessionId: string; user: { id: string; email: string; name: string | null } };
export type RequestMeta = { ip: string | null; requestId: string | null };

export type IdentityService = ReturnType<typeof createIdentityService>;

/** Every stored email is normalised (normaliseEmail), so look-ups compare exactly. */
function validEmail(email: string): string {
  const normal = normaliseEmail(email);
  if (!normal) {
    throw new AppError('INVALID_INPUT', 'Enter a valid email address.', {
      hint: 'Use an address like name@example.com, in ASCII letters, digits and punctuation.',
      details: { field: 'email' },
    });
  }
  return normal;
}

export function createIdentityService({
  db,
  clock,
  config,
  orgs,
}: {
  db: Db;
  clock: Clock;
  config: ServerConfig;
  orgs: OrgsService;
}) {
  /** A new user always comes with a personal org, in the same transaction. */
  async function createUser(
    tx: DbOrTx,
    input: { email: string; name?: string | null; passwordHash?: string | null },
    meta: RequestMeta,
    via: string,
  ) {
    const user = await usersRepo.insert(tx, {
      id: newId('usr'),
      email: validEmail(input.email),
      name: input.name ?? null,
      passwordHash: input.passwordHash ?? null,
      createdAt: clock.now(),
    });
    const who: AuditActor = { type: 'user', id: user.id, label: user.email, ...meta };
    await recordAudit(tx, who, {
      orgId: null,
      action: 'user.created',
      target: { type: 'user', id: user.id },
      data: { via },
    });
    await orgs.createPersonalOrg(tx, who, user);
    return user;
  }

  async function recordSignIn(
    tx: DbOrTx,
    user: { id: string; email: string },
    meta: RequestMeta,
    via: string,
  ) {
    await recordAudit(
      tx,
      { type: 'user', id: user.id, label: user.email, ...meta },
      { orgId: null, action: 'user.signed_in', target: { type: 'user', id: user.id }, data: { via } },
    );
  }

  async function startSession(tx: DbOrTx, userId: string): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const now = clock.now();
    await sessionsRepo.insert(tx, {
      id: newId('ses'),
      tokenHash: hashToken(secret),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE),
    });
    return secret;
  }

  return {
    createUser,
    recordSignIn,
    startSession,

    async me(actor: Actor): Promise<Me> {
      const p = actor.principal;
      const user = p.kind === 'user' ? await usersRepo.findById(db, p.userId) : null;
      // Sessions and upstream OIDC tokens are not rows in `tokens`.
      const stored = p.credential.type !== 'session' && p.credential.type !== 'oidc';
      const row = stored ? await tokensRepo.findById(db, p.credential.id) : null;
      const org = p.kind === 'user' ? null : await orgs.orgOf(p.orgId);
      return {
        user: user ? { id: user.id, email: user.email, name: user.name } : null,
        token: {
          id: p.credential.id,
          kind: p.credential.type === 'service_account_key' ? 'service_account_key' : p.credential.type,
          name: row?.name ?? (p.credential.type === 'oidc' ? 'OIDC token' : 'browser session'),
          prefix: row?.displayPrefix ?? '',
          scopes: p.credential.scopes,
          createdAt: (row?.createdAt ?? clock.now()).toISOString(),
          expiresAt: p.credential.expiresAt?.toISOString() ?? null,
          lastUsedAt: row?.lastUsedAt?.toISOString() ?? null,
        },
        org: org ? { id: org.id, name: org.name } : null,
      };
    },

    /** Dev sign-in: any email, no password. Refused outright outside `latch dev`. */
    async devSignIn(email: string, meta: RequestMeta): Promise<{ userId: string; session: string }> {
      if (config.mode !== 'dev') {
        throw new AppError('DEV_MODE_ONLY', 'Dev sign-in only works on a `latch dev` server.', {
          hint: 'Sign in with your email and password.',
        });
      }
      const normal = validEmail(email);
      return db.transaction(async (tx) => {
        const user =
          (await usersRepo.findByEmail(tx, normal)) ?? (await createUser(tx, { email: normal }, meta, 'dev'));
        await recordSignIn(tx, user, meta, 'dev');
        return { userId: user.id, session: await startSession(tx, user.id) };
      });
    },

    /** The signed-in user of a browser session cookie, or null. Idle and absolute limits apply. */
    async sessionUser(secret: string | undefined): Promise<SessionUser | null> {
      if (!secret || secret.length > 100) return null;
      const found = await sessionsRepo.findActiveByHash(db, hashToken(secret));
      if (!found) return null;
      const now = clock.now();
      const { session } = found;
      if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > SESSION_IDLE)
        return null;
      if (now.getTime() - session.lastSeenAt.getTime() > MINUTE)
        await sessionsRepo.touch(db, session.id, now);
      return { sessionId: session.id, user: found.user };
    },

    async endSession(secret: string | undefined, meta: RequestMeta): Promise<void> {
      if (!secret || secret.length > 100) return;
      const found = await sessionsRepo.findActiveByHash(db, hashToken(secret));
      if (!found) return;
      await db.transaction(async (tx) => {
        await sessionsRepo.revoke(tx, found.session.id, clock.now());
        await recordAudit(
          tx,
          { type: 'user', id: found.user.id, label: found.user.email, ...meta },
          { orgId: null, action: 'user.signed_out', target: { type: 'user', id: found.user.id } },
        );
      });
    },

    userCount: () => usersRepo.count(db),
  };
}
