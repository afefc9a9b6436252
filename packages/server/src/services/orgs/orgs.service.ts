import {
  AppError,
  effectivePermissions,
  missingPermissions,
  type Org,
  type PageQuery,
  type PermissionSet,
  ROLE_PERMISSIONS,
  type Role,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { type LookupCache, noLookupCache } from '../../store/lookups.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, type OrgContext, type Principal, requirePermission } from '../actor.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
import { requireUnscopedUser } from '../delegation.js';
import * as repo from './orgs.repo.js';

export type OrgsService = ReturnType<typeof createOrgsService>;

export function toOrg(row: repo.OrgRow, role: Role | null): Org {
  return {
    id: row.id,
    name: row.name,
    personal: row.personalFor !== null,
    role,
    createdAt: row.createdAt.toISOString(),
  };
}

function contextOf(org: repo.OrgRow, role: Role | null, permissions: PermissionSet): OrgContext {
  return { id: org.id, name: org.name, personal: org.personalFor !== null, role, permissions };
}

export function notFoundOrg(ref: string): AppError {
  // Deliberately the same answer whether the org does not exist or the caller is not in it.
  return new AppError('NOT_FOUND', `You are not a member of org ${ref}, or it does not exist.`, {
    hint: 'Run `latch org list` to see yours.',
  });
}

/** Finds a free name for a personal org: `alice`, then `alice-2`, … */
async function freeName(db: DbOrTx, base: string): Promise<string> {
  const clean =
    base
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 50) || 'personal';
  for (let i = 1; i < 1000; i++) {
    const name = i === 1 ? clean : `${clean}-${i}`;
    if (!(await repo.nameTaken(db, name))) return name;
  }
  return `${clean}-${newId('x').slice(2, 10)}`;
}

type OrgReads = {
  membership(userId: string, ref: string): ReturnType<typeof repo.findForMember>;
  org(ref: string): Promise<repo.OrgRow | null>;
};

/**
 * The org context a request acts in; 404 when the principal is not in it. A platform key acts
 * with its creator's current role, capped by its scopes, and is suspended the moment the
 * creator no longer holds every scope (left the org, or was demoted).
 */
function resolverOf(read: OrgReads) {
  return async function resolve(principal: Principal, ref: string): Promise<OrgContext> {
    if (principal.kind === 'user') {
      const member = await read.membership(principal.userId, ref);
      if (!member) throw notFoundOrg(ref);
      const role = member.role as Role;
      return contextOf(member.org, role, effectivePermissions(role, principal.credential.scopes));
    }
    const org = await read.org(ref);
    if (!org || org.id !== principal.orgId) throw notFoundOrg(ref);
    if (principal.kind === 'service_account') {
      return contextOf(
        org,
        principal.role,
        effectivePermissions(principal.role, principal.credential.scopes),
      );
    }
    const scopes = principal.credential.scopes ?? [];
    const creator = principal.createdBy ? await read.membership(principal.createdBy, org.id) : null;
    const missing = creator ? missingPermissions(ROLE_PERMISSIONS[creator.role as Role], scopes) : scopes;
    if (!creator || missing.length > 0) {
      throw new AppError(
        'KEY_SUSPENDED',
        creator
          ? `This platform key is suspended: its creator no longer has ${missing.join(', ')} in ${org.name}.`
          : `This platform key is suspended: its creator is no longer a member of ${org.name}.`,
        {
          hint: 'Automation that must outlive people should use a service account key (`latch service-accounts`).',
        },
      );
    }
    return contextOf(org, null, effectivePermissions(creator.role as Role, scopes));
  };
}

export function createOrgsService({
  db,
  clock,
  lookups = noLookupCache,
}: {
  db: Db;
  clock: Clock;
  /** Memoises the rows `resolve` reads; the standing itself is worked out again on every call. */
  lookups?: LookupCache;
}) {
  const fresh: OrgReads = {
    membership: (userId, ref) => repo.findForMember(db, userId, ref),
    org: (ref) => repo.findByRef(db, ref),
  };
  const memberships = lookups.memo<Awaited<ReturnType<typeof repo.findForMember>>>();
  const orgs = lookups.memo<repo.OrgRow | null>();
  const found = <T>(row: T | null) => row !== null;
  const memoised: OrgReads = {
    membership: (userId, ref) =>
      memberships.get(`${userId}\n${ref}`, () => fresh.membership(userId, ref), found),
    org: (ref) => orgs.get(ref, () => fresh.org(ref), found),
  };

  return {
    resolve: resolverOf(memoised),
    /** The same, always from the database (for a cache of its own, which must not stack on this one). */
    resolveFresh: resolverOf(fresh),

    async orgOf(id: string) {
      return repo.findByRef(db, id);
    },

    async list(actor: Actor): Promise<Org[]> {
      const p = actor.principal;
      if (p.kind !== 'user') {
        const org = await repo.findByRef(db, p.orgId);
        return org ? [toOrg(org, p.kind === 'service_account' ? p.role : null)] : [];
      }
      const rows = await repo.listForMember(db, p.userId);
      return rows.map((r) => toOrg(r.org, r.role as Role));
    },

    /** `list`, a page at a time (GET /api/v1/orgs). */
    async listPage(actor: Actor, query: PageQuery): Promise<Page<Org>> {
      const p = actor.principal;
      if (p.kind !== 'user') {
        const org = await repo.findByRef(db, p.orgId);
        return {
          items: org ? [toOrg(org, p.kind === 'service_account' ? p.role : null)] : [],
          nextCursor: null,
        };
      }
      const cursor = decodeCursor(query.cursor);
      const rows = await repo.listForMember(db, p.userId, { limit: query.limit, cursor });
      return toPage(
        rows,
        query.limit,
        (r) => toOrg(r.org, r.role as Role),
        (r) => ({ at: r.joinedAt, id: r.org.id }),
      );
    },

    async get(actor: Actor): Promise<Org> {
      const org = requirePermission(actor, 'org:read');
      const row = await repo.findByRef(db, org.id);
      if (!row) throw notFoundOrg(org.name);
      return toOrg(row, org.role);
    },

    async create(actor: Actor, input: { name: string }): Promise<Org> {
      // The creator becomes an owner: a scoped token would make an owner out of a narrow grant.
      const user = requireUnscopedUser(actor, 'create an org');
      return db.transaction(async (tx) => {
        if (await repo.nameTaken(tx, input.name)) {
          throw new AppError('CONFLICT', `An org named ${input.name} already exists (names ignore case).`, {
            hint: 'Pick another name.',
          });
        }
        const row = await repo.insertOrg(tx, { id: newId('org'), name: input.name, createdAt: clock.now() });
        await repo.addMember(tx, row.id, user.userId, 'owner', row.createdAt);
        await recordAudit(tx, actor, {
          orgId: row.id,
          action: 'org.created',
          target: { type: 'org', id: row.id },
          data: { name: row.name },
        });
        return toOrg(row, 'owner');
      });
    },

    /** Called inside the sign-up transaction: every user gets a personal org at first sign-in. */
    async createPersonalOrg(tx: DbOrTx, who: AuditActor, user: { id: string; email: string }): Promise<Org> {
      const name = await freeName(tx, user.email.split('@')[0] ?? 'personal');
      const row = await repo.insertOrg(tx, {
        id: newId('org'),
        name,
        personalFor: user.id,
        createdAt: clock.now(),
      });
      await repo.addMember(tx, row.id, user.id, 'owner', row.createdAt);
      await recordAudit(tx, who, {
        orgId: row.id,
        action: 'org.created',
        target: { type: 'org', id: row.id },
        data: { name, personal: true },
      });
      return toOrg(row, 'owner');
    },
  };
}
