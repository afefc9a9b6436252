import {
  AppError,
  type CreatedServiceAccountKey,
  credentialStatus,
  expiryFrom,
  missingPermissions,
  type PageQuery,
  parseGracePeriod,
  permissionList,
  ROLE_PERMISSIONS,
  type Role,
  rotatingUntil,
  type ServiceAccount,
  type ServiceAccountKey,
  type ServiceAccountRole,
  TOKEN_PREFIXES,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, Tx } from '../../store/db.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, type OrgContext, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import { cappedDefault, requireMayMint } from '../delegation.js';
import { withArticle } from '../members/authority.js';
import { issueToken, rotateToken } from '../tokens/issue.js';
import * as tokensRepo from '../tokens/tokens.repo.js';
import * as repo from './service-accounts.repo.js';

export type ServiceAccountsService = ReturnType<typeof createServiceAccountsService>;

const RANK: Record<Role, number> = { viewer: 0, developer: 1, admin: 2, owner: 3 };

function toServiceAccount(
  row: repo.ServiceAccountRow,
  creatorEmail: string | null,
  activeKeys: number,
): ServiceAccount {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdBy: creatorEmail,
    createdAt: row.createdAt.toISOString(),
    activeKeys,
  };
}

function toKey(row: repo.KeyRow, account: repo.ServiceAccountRow, now: Date): ServiceAccountKey {
  const { key } = row;
  return {
    id: key.id,
    kind: 'service_account_key',
    name: key.name,
    prefix: key.displayPrefix,
    serviceAccount: { id: account.id, name: account.name },
    createdBy: row.creatorEmail,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    rotatingUntil: rotatingUntil(key, now)?.toISOString() ?? null,
    // A service-account key acts with its account's role, never its creator's: never suspended.
    status: credentialStatus(key, now) as ServiceAccountKey['status'],
  };
}

function accountNotFound(ref: string, org: OrgContext): AppError {
  return new AppError('NOT_FOUND', `No service account ${ref} in ${org.name}.`, {
    hint: 'Run `latch service-accounts list`; give its id or its name.',
  });
}

function keyNotFound(account: repo.ServiceAccountRow, keyId: string): AppError {
  return new AppError('NOT_FOUND', `Service account ${account.name} has no key ${keyId}.`, {
    hint: `Run \`latch service-accounts keys list ${account.name}\`.`,
  });
}

/** The audit row of a change to an account's key: the account, the key's name and prefix, `more`. */
function auditKey(
  tx: Tx,
  actor: Actor,
  account: repo.ServiceAccountRow,
  key: tokensRepo.TokenRow,
  action: 'created' | 'rotated' | 'revoked',
  more: Record<string, unknown> = {},
): Promise<void> {
  return recordAudit(tx, actor, {
    orgId: account.orgId,
    action: `service_account_key.${action}`,
    target: { type: 'service_account_key', id: key.id },
    data: {
      serviceAccount: { id: account.id, name: account.name },
      name: key.name,
      prefix: key.displayPrefix,
      ...more,
    },
  });
}

/**
 * A service account (or a key for one) holds its role's permissions, so making either is granting
 * that role: nobody may grant above their own role, and a scoped credential may not grant more than
 * its scopes allow.
 */
function requireCanGrant(org: OrgContext, role: ServiceAccountRole, doing: string): void {
  if (org.role && RANK[role] > RANK[org.role]) {
    throw new AppError(
      'PERMISSION_DENIED',
      `You cannot ${doing} ${withArticle(role)} service account: your role in ${org.name} is ${org.role}, and no one grants a role above their own.`,
      { hint: `Use role ${org.role} or lower, or ask an owner or admin to do it.`, details: { role } },
    );
  }
  const missing = missingPermissions(org.permissions, permissionList(ROLE_PERMISSIONS[role]));
  if (missing.length) {
    throw new AppError(
      'PERMISSION_DENIED',
      `You cannot ${doing} ${withArticle(role)} service account: this credential lacks ${missing.join(', ')} in ${org.name}.`,
      {
        hint: 'Use a lower role, or a credential without narrower scopes (e.g. your login).',
        details: { missing },
      },
    );
  }
}

/** The user behind the request, recorded as `created_by` (a users reference); audit names the exact actor. */
function creatorOf(actor: Actor): { id: string | null; email: string | null } {
  const p = actor.principal;
  return p.kind === 'user' ? { id: p.userId, email: p.email } : { id: null, email: null };
}

export function createServiceAccountsService({ db, clock }: { db: Db; clock: Clock }) {
  return {
    async create(actor: Actor, input: { name: string; role: ServiceAccountRole }): Promise<ServiceAccount> {
      const org = requirePermission(actor, 'service_accounts:write');
      requireCanGrant(org, input.role, 'create');
      const creator = creatorOf(actor);
      return db.transaction(async (tx) => {
        if (await repo.nameTaken(tx, org.id, input.name)) {
          throw new AppError(
            'CONFLICT',
            `${org.name} already has a service account named ${input.name} (names ignore case).`,
            {
              hint: 'Pick another name, or run `latch service-accounts list`.',
            },
          );
        }
        const row = await repo.insert(tx, {
          id: newId('sa'),
          orgId: org.id,
          name: input.name,
          role: input.role,
          createdBy: creator.id,
          createdAt: clock.now(),
        });
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'service_account.created',
          target: { type: 'service_account', id: row.id },
          data: { name: row.name, role: row.role },
        });
        return toServiceAccount(row, creator.email, 0);
      });
    },

    async list(actor: Actor, query: PageQuery): Promise<Page<ServiceAccount>> {
      const org = requirePermission(actor, 'service_accounts:read');
      const rows = await repo.list(db, org.id, clock.now(), query.limit, decodeCursor(query.cursor));
      return toPage(
        rows,
        query.limit,
        (r) => toServiceAccount(r.account, r.creatorEmail, r.activeKeys),
        (r) => ({ at: r.account.createdAt, id: r.account.id }),
      );
    },

    /** Soft delete; its keys are revoked in the same transaction, so none outlives the account. */
    async delete(actor: Actor, ref: string): Promise<ServiceAccount> {
      const org = requirePermission(actor, 'service_accounts:manage');
      return db.transaction(async (tx) => {
        const row = await repo.findLocked(tx, org.id, ref, 'update');
        if (!row) throw accountNotFound(ref, org);
        const now = clock.now();
        await repo.markDeleted(tx, row.id, now);
        const keysRevoked = await repo.revokeAllKeys(tx, row.id, now);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'service_account.deleted',
          target: { type: 'service_account', id: row.id },
          data: { name: row.name, role: row.role, keysRevoked },
        });
        return toServiceAccount(row, null, 0);
      });
    },

    async createKey(
      actor: Actor,
      ref: string,
      input: { name?: string | undefined; expiresIn?: string | number | undefined },
    ): Promise<CreatedServiceAccountKey> {
      const org = requirePermission(actor, 'service_accounts:write');
      const now = clock.now();
      const asked = expiryFrom(input.expiresIn, 'key', now, 'latch service-accounts keys create <account>');
      const expiresAt = input.expiresIn === undefined ? cappedDefault(actor, asked) : asked;
      const creator = creatorOf(actor);
      return db.transaction(async (tx) => {
        const account = await repo.findLocked(tx, org.id, ref, 'share');
        if (!account) throw accountNotFound(ref, org);
        requireCanGrant(org, account.role, 'make a key for');
        // The key carries the account's role: making one is minting that role for its lifetime.
        requireMayMint(actor, org.permissions, {
          doing: `make a key for service account ${account.name}`,
          wanted: { permissions: ROLE_PERMISSIONS[account.role], expiresAt },
          expiryFlag: '--expires',
          org,
        });
        const { key, token } = await issueToken(tx, TOKEN_PREFIXES.serviceAccountKey, {
          id: newId('sak'),
          kind: 'service_account_key',
          name: input.name ?? account.name,
          orgId: org.id,
          serviceAccountId: account.id,
          createdBy: creator.id,
          createdAt: now,
          expiresAt,
        });
        await auditKey(tx, actor, account, key, 'created', { expiresAt: expiresAt?.toISOString() ?? null });
        return { ...toKey({ key, creatorEmail: creator.email }, account, now), token };
      });
    },

    async listKeys(actor: Actor, ref: string, query: PageQuery): Promise<Page<ServiceAccountKey>> {
      const org = requirePermission(actor, 'service_accounts:read');
      const account = await repo.find(db, org.id, ref);
      if (!account) throw accountNotFound(ref, org);
      const rows = await repo.listKeys(db, account.id, query.limit, decodeCursor(query.cursor));
      const now = clock.now();
      return toPage(
        rows,
        query.limit,
        (r) => toKey(r, account, now),
        (r) => ({ at: r.key.createdAt, id: r.key.id }),
      );
    },

    /**
     * A new secret for the key (same id, name, account and expiry); the old one works for the
     * grace period (SPEC 2 "Lifecycle"). Handing out the secret is minting the account's role
     * again, so it passes the same checks as making a key (delegation.ts).
     */
    async rotateKey(
      actor: Actor,
      ref: string,
      keyId: string,
      input: { gracePeriod?: string | number | undefined },
    ): Promise<CreatedServiceAccountKey> {
      const org = requirePermission(actor, 'service_accounts:write');
      const grace = parseGracePeriod(
        input.gracePeriod,
        'latch service-accounts keys rotate <account> <key-id>',
      );
      return db.transaction(async (tx) => {
        const account = await repo.findLocked(tx, org.id, ref, 'share');
        if (!account) throw accountNotFound(ref, org);
        const row = await repo.findKeyForUpdate(tx, account.id, keyId);
        if (!row) throw keyNotFound(account, keyId);
        const now = clock.now();
        requireCanGrant(org, account.role, 'receive a key of');
        requireMayMint(actor, org.permissions, {
          doing: `receive the new secret of ${account.name}'s key ${row.key.name}`,
          wanted: { permissions: ROLE_PERMISSIONS[account.role], expiresAt: row.key.expiresAt },
          org,
        });
        const { key, token, plan } = await rotateToken(tx, row.key, TOKEN_PREFIXES.serviceAccountKey, {
          now,
          graceMs: grace,
          label: 'Service-account key',
          createCommand: `latch service-accounts keys create ${account.name}`,
        });
        await auditKey(tx, actor, account, key, 'rotated', {
          previousPrefix: row.key.displayPrefix,
          gracePeriod: plan.gracePeriod,
          previousValidUntil: plan.previousExpiresAt.toISOString(),
        });
        return { ...toKey({ ...row, key }, account, now), token };
      });
    },

    /** Immediate and final; revoking a revoked key changes nothing and records nothing. */
    async revokeKey(actor: Actor, ref: string, keyId: string): Promise<ServiceAccountKey> {
      const org = requirePermission(actor, 'service_accounts:write');
      return db.transaction(async (tx) => {
        const account = await repo.findLocked(tx, org.id, ref, 'share');
        if (!account) throw accountNotFound(ref, org);
        const row = await repo.findKeyForUpdate(tx, account.id, keyId);
        if (!row) throw keyNotFound(account, keyId);
        const now = clock.now();
        if (row.key.revokedAt) return toKey(row, account, now);
        const key = await tokensRepo.markKeyRevoked(tx, row.key.id, now);
        await auditKey(tx, actor, account, key, 'revoked');
        return toKey({ ...row, key }, account, now);
      });
    },
  };
}
