import type { Role } from '@latchkey/core';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { memberships, tokens, trustPolicies, users } from '../../store/schema.js';

export type TrustPolicyRecord = typeof trustPolicies.$inferSelect;
/** A policy with its creator's email and current role in the org (what an exchange is capped by). */
export type TrustPolicyRow = {
  policy: TrustPolicyRecord;
  creatorEmail: string | null;
  creatorRole: Role | null;
};

function selectPolicies(db: DbOrTx) {
  return db
    .select({ policy: trustPolicies, creatorEmail: users.email, creatorRole: memberships.role })
    .from(trustPolicies)
    .leftJoin(users, eq(users.id, trustPolicies.createdBy))
    .leftJoin(
      memberships,
      and(eq(memberships.orgId, trustPolicies.orgId), eq(memberships.userId, trustPolicies.createdBy)),
    );
}

const asRow = (r: { policy: TrustPolicyRecord; creatorEmail: string | null; creatorRole: string | null }) =>
  ({ ...r, creatorRole: r.creatorRole as Role | null }) satisfies TrustPolicyRow;

export async function insert(db: DbOrTx, row: typeof trustPolicies.$inferInsert): Promise<TrustPolicyRecord> {
  const [created] = await db.insert(trustPolicies).values(row).returning();
  return created!;
}

export async function list(db: DbOrTx, orgId: string, limit: number, cursor: Cursor | null) {
  const ks = keyset(trustPolicies.createdAt, trustPolicies.id, cursor);
  const rows = await selectPolicies(db)
    .where(and(eq(trustPolicies.orgId, orgId), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
  return rows.map(asRow);
}

/** Every policy of the org, oldest first: the order in which an exchange tries them. */
export async function allOfOrg(db: DbOrTx, orgId: string): Promise<TrustPolicyRow[]> {
  const rows = await selectPolicies(db)
    .where(eq(trustPolicies.orgId, orgId))
    .orderBy(asc(trustPolicies.createdAt), asc(trustPolicies.id))
    .limit(1000);
  return rows.map(asRow);
}

export async function findForUpdate(db: DbOrTx, orgId: string, id: string): Promise<TrustPolicyRow | null> {
  const [row] = await selectPolicies(db)
    .where(and(eq(trustPolicies.id, id), eq(trustPolicies.orgId, orgId)))
    .for('update', { of: trustPolicies })
    .limit(1);
  return row ? asRow(row) : null;
}

export async function remove(db: DbOrTx, id: string): Promise<void> {
  await db.delete(trustPolicies).where(eq(trustPolicies.id, id));
}

export async function markUsed(db: DbOrTx, id: string, at: Date): Promise<void> {
  await db.update(trustPolicies).set({ lastUsedAt: at }).where(eq(trustPolicies.id, id));
}

/** Revokes the live credentials a policy issued; returns how many. */
export async function revokeIssued(db: DbOrTx, policyId: string, at: Date): Promise<number> {
  const rows = await db
    .update(tokens)
    .set({ revokedAt: at })
    .where(and(eq(tokens.trustPolicyId, policyId), isNull(tokens.revokedAt)))
    .returning({ id: tokens.id });
  return rows.length;
}
