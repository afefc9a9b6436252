import {
  AppError,
  type CreatedPlatformKey,
  can,
  credentialStatus,
  expiryFrom,
  isPermission,
  LEVELS,
  missingPermissions,
  type PageQuery,
  type PlatformKey,
  parseGracePeriod,
  RESOURCES,
  ROLE_PERMISSIONS,
  rotatingUntil,
  scopesToSet,
  TOKEN_PREFIXES,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, Tx } from '../../store/db.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, type OrgContext, permissionDenied, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import { cappedDefault, requireMayMint } from '../delegation.js';
import { issueToken, rotateToken } from '../tokens/issue.js';
import * as tokensRepo from '../tokens/tokens.repo.js';
import * as repo from './platform-keys.repo.js';

export type PlatformKeysService = ReturnType<typeof createPlatformKeysService>;

/** Every scope a key may carry, compactly: `projects:read|write|manage, secrets:read|write, …`. */
const VALID_SCOPES = RESOURCES.map((r) => {
  const levels = LEVELS.filter((l) => l !== 'none' && isPermission(`${r}:${l}`));
  return `${r}:${levels.join('|')}`;
}).join(', ');

export function validScopes(scopes: string[]): string[] {
  const bad = scopes.filter((s) => !isPermission(s));
  if (bad.length) {
    throw new AppError('INVALID_INPUT', `Unknown scope ${bad.map((s) => `"${s}"`).join(', ')}.`, {
      hint: `Scopes are resource:level; valid ones: ${VALID_SCOPES}.`,
      details: { field: 'scopes', invalid: bad },
    });
  }
  return [...new Set(scopes.map((s) => s.trim()))];
}

/** A key's missing scopes given its creator's current role: suspended when any is missing. */
function suspendedNow(row: repo.PlatformKeyRow): boolean {
  if (!row.creatorRole) return true;
  return missingPermissions(ROLE_PERMISSIONS[row.creatorRole], row.key.scopes ?? []).length > 0;
}

export function toPlatformKey(row: repo.PlatformKeyRow, now: Date): PlatformKey {
  const { key } = row;
  return {
    id: key.id,
    kind: 'platform_key',
    name: key.name,
    prefix: key.displayPrefix,
    scopes: key.scopes ?? [],
    createdBy: row.creatorEmail,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    rotatingUntil: rotatingUntil(key, now)?.toISOString() ?? null,
    status: credentialStatus(key, now, suspendedNow(row)),
  };
}

function notFound(id: string, org: OrgContext): AppError {
  return new AppError('NOT_FOUND', `No platform key ${id} in ${org.name}.`, {
    hint: 'Run `latch keys list` to see its keys.',
  });
}

/** The person a credential acts for: whose keys count as "own" (SPEC 3: write = own, manage = anyone's). */
function actingUserId(actor: Actor): string | null {
  const p = actor.principal;
  return p.kind === 'user' ? p.userId : p.kind === 'platform_key' ? p.createdBy : null;
}

/**
 * Rotation hands out the key's new secret, so it is minting that key again: only a person may,
 * and only with a credential that could create a key with all of its scopes and lifetime right
 * now. A key may revoke what its permission covers, but never receives another key's secret.
 */
function requireMayReceive(actor: Actor, org: OrgContext, key: repo.PlatformKeyRow['key']): void {
  if (actor.principal.kind !== 'user') {
    throw new AppError(
      'PERMISSION_DENIED',
      "Only a person can rotate a platform key: rotation hands out the key's new secret.",
      {
        hint: 'Run `latch keys rotate <id>` signed in as yourself (`latch login`); a key may still revoke keys.',
      },
    );
  }
  requireMayMint(actor, org.permissions, {
    doing: `receive the new secret of platform key ${key.name}`,
    wanted: { permissions: scopesToSet(key.scopes ?? []), expiresAt: key.expiresAt },
    org,
  });
}

export function createPlatformKeysService({ db, clock }: { db: Db; clock: Clock }) {
  /** Finds and locks a key the actor may change: their own with write, anyone's with manage. */
  async function lockChangeable(tx: Tx, actor: Actor, id: string, doing: string) {
    const org = requirePermission(actor, 'platform_keys:write');
    const row = await repo.findForUpdate(tx, org.id, id);
    if (!row) throw notFound(id, org);
    const own = row.key.createdBy !== null && row.key.createdBy === actingUserId(actor);
    if (!own && !can(org.permissions, 'platform_keys:manage')) {
      const denied = permissionDenied(org, 'platform_keys:manage', actor.principal);
      throw new AppError(
        'PERMISSION_DENIED',
        `${doing} someone else's platform key needs platform_keys:manage. ${denied.message}`,
        {
          hint: 'Ask its creator, or an owner or admin of the org, to do it.',
          details: { required: 'platform_keys:manage' },
        },
      );
    }
    return { org, row };
  }

  return {
    /**
     * Only a person makes platform keys: a key acts for its creator, so a key or a service account
     * minting one would give it a creator who never chose to. Its scopes can never exceed what
     * the creator may do now (checked again at every use, see orgs.resolve).
     */
    async create(
      actor: Actor,
      input: { name: string; scopes: string[]; expiresIn?: string | number },
    ): Promise<CreatedPlatformKey> {
      const org = requirePermission(actor, 'platform_keys:write');
      const p = actor.principal;
      if (p.kind !== 'user') {
        throw new AppError(
          'PERMISSION_DENIED',
          'Only a person can create platform keys, not a platform or service-account key.',
          {
            hint: 'Sign in with `latch login` and run `latch keys create`, or use a service account for automation.',
          },
        );
      }
      const scopes = validScopes(input.scopes);
      const now = clock.now();
      const asked = expiryFrom(input.expiresIn, 'key', now, 'latch keys create');
      const expiresAt = input.expiresIn === undefined ? cappedDefault(actor, asked) : asked;
      requireMayMint(actor, org.permissions, {
        doing: 'create this platform key',
        wanted: { permissions: scopesToSet(scopes), expiresAt },
        expiryFlag: '--expires',
        org,
      });
      return db.transaction(async (tx) => {
        // user_id stays null: it cascades on user deletion, and a key must outlive that as "suspended".
        const { key, token } = await issueToken(tx, TOKEN_PREFIXES.platformKey, {
          id: newId('key'),
          kind: 'platform_key',
          name: input.name,
          orgId: org.id,
          scopes,
          createdBy: p.userId,
          createdAt: now,
          expiresAt,
        });
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'platform_key.created',
          target: { type: 'platform_key', id: key.id },
          data: {
            name: key.name,
            prefix: key.displayPrefix,
            scopes,
            expiresAt: expiresAt?.toISOString() ?? null,
          },
        });
        return { ...toPlatformKey({ key, creatorEmail: p.email, creatorRole: org.role }, now), token };
      });
    },

    async list(actor: Actor, query: PageQuery): Promise<Page<PlatformKey>> {
      const org = requirePermission(actor, 'platform_keys:read');
      const rows = await repo.list(db, org.id, query.limit, decodeCursor(query.cursor));
      const now = clock.now();
      return toPage(
        rows,
        query.limit,
        (r) => toPlatformKey(r, now),
        (r) => ({ at: r.key.createdAt, id: r.key.id }),
      );
    },

    /** Immediate and final; revoking a revoked key changes nothing and records nothing. */
    async revoke(actor: Actor, id: string): Promise<PlatformKey> {
      return db.transaction(async (tx) => {
        const { org, row } = await lockChangeable(tx, actor, id, 'Revoking');
        const now = clock.now();
        if (row.key.revokedAt) return toPlatformKey(row, now);
        const key = await tokensRepo.markKeyRevoked(tx, row.key.id, now);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'platform_key.revoked',
          target: { type: 'platform_key', id: key.id },
          data: { name: key.name, prefix: key.displayPrefix },
        });
        return toPlatformKey({ ...row, key }, now);
      });
    },

    /**
     * New secret, same id, name and scopes. The replaced secret keeps working for the grace period,
     * never past the key's own expiry; `0` ends it at once. Rotating again while a grace period
     * runs ends the older secret: only one replaced secret is ever kept.
     */
    async rotate(
      actor: Actor,
      id: string,
      input: { gracePeriod?: string | number },
    ): Promise<CreatedPlatformKey> {
      const grace = parseGracePeriod(input.gracePeriod, 'latch keys rotate <id>');
      return db.transaction(async (tx) => {
        const { org, row } = await lockChangeable(tx, actor, id, 'Rotating');
        const now = clock.now();
        requireMayReceive(actor, org, row.key);
        const { key, token, plan } = await rotateToken(tx, row.key, TOKEN_PREFIXES.platformKey, {
          now,
          graceMs: grace,
          label: 'Platform key',
          createCommand: 'latch keys create',
        });
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'platform_key.rotated',
          target: { type: 'platform_key', id: key.id },
          data: {
            name: key.name,
            prefix: key.displayPrefix,
            previousPrefix: row.key.displayPrefix,
            gracePeriod: plan.gracePeriod,
            previousValidUntil: plan.previousExpiresAt.toISOString(),
          },
        });
        return { ...toPlatformKey({ ...row, key }, now), token };
      });
    },
  };
}
