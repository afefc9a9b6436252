import { AppError, effectivePermissions, type Org, type Role } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import type { Actor, OrgContext, Principal } from '../actor.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
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

export function notFoundOrg(ref: string): AppError {
  // Deliberately the same answer whether the org does not exist or the caller is not in it.
  return new AppError('NOT_FOUND', `You are not a member of org ${ref}, or it does not exist.`, {
    hint: 'Run `latch org list` to see yours.',
  });
}

/** Finds a free name for a personal org: `alice`, then `alice-2`, … */
async function freeName(db: DbOrTx, base: string): Promise<string> {
  const clean = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 50) || 'personal';
  for (let i = 1; i < 1000; i++) {
    const name = i === 1 ? clean : `${clean}-${i}`;
    if (!(await repo.nameTaken(db, name))) return name;
  }
  return `${clean}-${newId('x').slice(2, 10)}`;
}

export function createOrgsService({ db, clock }: { db: Db; clock: Clock }) {
  return {
    /** The org context a request acts in; 404 when the principal is not a member. */
    async resolve(principal: Principal, ref: string): Promise<OrgContext> {
      const found = await repo.findForMember(db, principal.userId, ref);
      if (!found) throw notFoundOrg(ref);
      const role = found.role as Role;
      return {
        id: found.org.id,
        name: found.org.name,
        personal: found.org.personalFor !== null,
        role,
        permissions: effectivePermissions(role, principal.credential.scopes),
      };
    },

    async list(actor: Actor): Promise<Org[]> {
      const rows = await repo.listForMember(db, actor.principal.userId);
      return rows.map((r) => toOrg(r.org, r.role as Role));
    },

    async get(actor: Actor): Promise<Org> {
      const org = actor.org!;
      const rows = await repo.findForMember(db, actor.principal.userId, org.id);
      if (!rows) throw notFoundOrg(org.name);
      return toOrg(rows.org, org.role);
    },

    async create(actor: Actor, input: { name: string }): Promise<Org> {
      return db.transaction(async (tx) => {
        if (await repo.nameTaken(tx, input.name)) {
          throw new AppError('CONFLICT', `An org named ${input.name} already exists (names ignore case).`, {
            hint: 'Pick another name.',
          });
        }
        const row = await repo.insertOrg(tx, { id: newId('org'), name: input.name, createdAt: clock.now() });
        await repo.addMember(tx, row.id, actor.principal.userId, 'owner');
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
      const row = await repo.insertOrg(tx, { id: newId('org'), name, personalFor: user.id, createdAt: clock.now() });
      await repo.addMember(tx, row.id, user.id, 'owner');
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
