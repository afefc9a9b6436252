import {
  AppError,
  type CreatedPat,
  credentialStatus,
  expiryFrom,
  hashToken,
  isPermission,
  type PageQuery,
  type Pat,
  parseToken,
  scopeReach,
  TOKEN_PREFIXES,
} from '@latchkey/core';
import { newId } from '../../ids.js';
import type { DbOrTx } from '../../store/db.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, requireUser } from '../actor.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
import { cappedDefault, requireMayMint, requireUnscopedUser } from '../delegation.js';
import { createAuthenticator, type TokensDeps } from './authenticate.js';
import { issueToken, rotateToken } from './issue.js';
import * as repo from './tokens.repo.js';

export type TokensService = ReturnType<typeof createTokensService>;

export function createTokensService(deps: TokensDeps) {
  const { db, clock } = deps;
  const { authenticate, authenticateFresh } = createAuthenticator(deps);

  function statusOf(row: repo.TokenRow, now: Date): Pat['status'] {
    const status = credentialStatus(row, now);
    // PATs are not rotated (sign in again instead): a PAT never has a replaced secret.
    return status === 'rotating' ? 'active' : status;
  }

  function toPat(row: repo.TokenRow, now: Date): Pat {
    return {
      id: row.id,
      kind: 'pat',
      name: row.name,
      prefix: row.displayPrefix,
      scopes: row.scopes ?? null,
      createdAt: row.createdAt.toISOString(),
      expiresAt: row.expiresAt?.toISOString() ?? null,
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
      status: statusOf(row, now),
    };
  }

  function validScopes(scopes: string[] | undefined): string[] | null {
    if (!scopes || scopes.length === 0) return null;
    const bad = scopes.filter((s) => !isPermission(s));
    if (bad.length) {
      throw new AppError('INVALID_INPUT', `Unknown scope ${bad.map((s) => `"${s}"`).join(', ')}.`, {
        hint: 'Scopes look like resource:level, e.g. projects:read or secrets:write.',
        details: { field: 'scopes' },
      });
    }
    return [...new Set(scopes)];
  }

  /**
   * Issues a PAT in the caller's transaction (sign-in flows issue one as part of a larger change).
   * When a credential asks (an `Actor`), the new PAT stays within its scopes and, for a scoped
   * one, its lifetime; a sign-in flow is the person proving who they are, and gets the default.
   */
  async function issuePat(
    tx: DbOrTx,
    who: Actor | AuditActor,
    userId: string,
    input: { name: string; expiresIn?: string | number; scopes?: string[]; via: string },
  ): Promise<CreatedPat> {
    const now = clock.now();
    const scopes = validScopes(input.scopes);
    const byDefault = expiryFrom(undefined, 'pat', now, 'latch pats create <name>') as Date;
    let expiresAt = expiryFrom(input.expiresIn, 'pat', now, 'latch pats create <name>') as Date;
    if ('principal' in who) {
      if (input.expiresIn === undefined) expiresAt = cappedDefault(who, byDefault) ?? byDefault;
      requireMayMint(who, scopeReach(who.principal.credential.scopes), {
        doing: 'create this PAT',
        wanted: { permissions: scopeReach(scopes), expiresAt },
        expiryFlag: '--expires',
      });
    }
    const { key: row, token } = await issueToken(tx, TOKEN_PREFIXES.pat, {
      id: newId('pat'),
      kind: 'pat',
      name: input.name,
      userId,
      scopes,
      createdBy: userId,
      createdAt: now,
      expiresAt,
    });
    await recordAudit(tx, who, {
      orgId: null,
      action: 'pat.created',
      target: { type: 'pat', id: row.id },
      data: {
        name: row.name,
        prefix: row.displayPrefix,
        scopes,
        expiresAt: row.expiresAt?.toISOString(),
        via: input.via,
      },
    });
    return { ...toPat(row, now), token };
  }

  return {
    authenticate,
    authenticateFresh,
    issuePat,
    toPat,

    async createPat(actor: Actor, input: { name: string; expiresIn?: string | number; scopes?: string[] }) {
      const user = requireUser(actor);
      return db.transaction((tx) => issuePat(tx, actor, user.userId, { ...input, via: 'api' }));
    },

    async listPats(actor: Actor, query: PageQuery): Promise<Page<Pat>> {
      const user = requireUnscopedUser(actor, "list this account's PATs");
      const rows = await repo.listPats(db, user.userId, query.limit, decodeCursor(query.cursor));
      const now = clock.now();
      return toPage(
        rows,
        query.limit,
        (r) => toPat(r, now),
        (r) => ({ at: r.createdAt, id: r.id }),
      );
    },

    async revokePat(actor: Actor, id: string): Promise<Pat> {
      // Any PAT may end itself (`latch logout`); ending another one is an act on the whole account.
      const user =
        id === actor.principal.credential.id
          ? requireUser(actor)
          : requireUnscopedUser(actor, 'revoke another PAT');
      return db.transaction(async (tx) => {
        const row = await repo.findPat(tx, user.userId, id);
        // Another user's PAT answers exactly like a missing one.
        if (!row)
          throw new AppError('NOT_FOUND', `No personal access token ${id}.`, {
            hint: 'Run `latch pats list`.',
          });
        const revoked = (await repo.markRevoked(tx, row.id, clock.now())) ?? row;
        if (!row.revokedAt) {
          await recordAudit(tx, actor, {
            orgId: null,
            action: 'pat.revoked',
            target: { type: 'pat', id: row.id },
            data: { name: row.name, prefix: row.displayPrefix },
          });
        }
        return toPat(revoked, clock.now());
      });
    },

    /**
     * A new token for one of the caller's PATs: same id, name, scopes and expiry. The old token
     * stops at once (its hash is kept, so it is refused as replaced by rotation, not as unknown):
     * a PAT belongs to one person, who has no fleet to move over during a grace period.
     * Like revoking, a PAT may rotate itself; rotating another needs an unscoped credential. Either
     * way the new token is a PAT minted again, so the delegation rule applies.
     */
    async rotatePat(actor: Actor, id: string): Promise<CreatedPat> {
      const user =
        id === actor.principal.credential.id
          ? requireUser(actor)
          : requireUnscopedUser(actor, 'rotate another PAT');
      return db.transaction(async (tx) => {
        const row = await repo.findPat(tx, user.userId, id, { forUpdate: true });
        if (!row)
          throw new AppError('NOT_FOUND', `No personal access token ${id}.`, {
            hint: 'Run `latch pats list`.',
          });
        const now = clock.now();
        requireMayMint(actor, scopeReach(actor.principal.credential.scopes), {
          doing: `receive the new token of PAT ${row.name}`,
          wanted: { permissions: scopeReach(row.scopes), expiresAt: row.expiresAt },
        });
        // No grace period: the replaced PAT ends at once.
        const { key: rotated, token } = await rotateToken(tx, row, TOKEN_PREFIXES.pat, {
          now,
          graceMs: 0,
          label: 'Personal access token',
          createCommand: 'latch pats create <name>',
        });
        await recordAudit(tx, actor, {
          orgId: null,
          action: 'pat.rotated',
          target: { type: 'pat', id: row.id },
          data: { name: row.name, prefix: rotated.displayPrefix, previousPrefix: row.displayPrefix },
        });
        return { ...toPat(rotated, now), token };
      });
    },

    /** RFC 7009: revoke whatever PAT this is, if it is one; unknown tokens are silently fine. */
    async revokeByToken(token: string, who: Omit<AuditActor, 'type' | 'id' | 'label'>): Promise<void> {
      if (!parseToken(token)) return;
      await db.transaction(async (tx) => {
        const found = await repo.findByHash(tx, hashToken(token));
        if (!found || found.token.revokedAt || found.token.kind !== 'pat') return;
        await repo.markRevoked(tx, found.token.id, clock.now());
        await recordAudit(
          tx,
          { type: 'user', id: found.user?.id ?? null, label: found.user?.email ?? null, ...who },
          {
            orgId: null,
            action: 'pat.revoked',
            target: { type: 'pat', id: found.token.id },
            data: { name: found.token.name, prefix: found.token.displayPrefix, via: 'oauth_revoke' },
          },
        );
      });
    },
  };
}
