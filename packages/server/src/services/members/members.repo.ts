import { normaliseEmail, type Role } from '@latchkey/core';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { memberships, orgs, users } from '../../store/schema.js';

export type MemberRow = { userId: string; email: string; name: string | null; role: Role; joinedAt: Date };

const memberColumns = {
  userId: memberships.userId,
  email: users.email,
  name: users.name,
  role: memberships.role,
  joinedAt: memberships.createdAt,
};

/**
 * Locks the org row for the rest of the transaction. Every membership change takes this lock first,
 * so two owners demoting each other at the same moment cannot both pass the last-owner check.
 */
export async function lockOrg(tx: DbOrTx, orgId: string) {
  // NO KEY UPDATE: serialises membership changes without blocking inserts that reference the org.
  const [row] = await tx.select().from(orgs).where(eq(orgs.id, orgId)).for('no key update');
  return row ?? null;
}

export async function list(
  db: DbOrTx,
  orgId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<MemberRow[]> {
  const ks = keyset(memberships.createdAt, memberships.userId, cursor);
  return db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/** `ref` is a user id or an email address (normalised, then compared exactly); only members of `orgId` match. */
export async function find(db: DbOrTx, orgId: string, ref: string): Promise<MemberRow | null> {
  const byRef = ref.includes('@') ? eq(users.email, normaliseEmail(ref) ?? ref) : eq(users.id, ref);
  const [row] = await db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), byRef))
    .limit(1);
  return row ?? null;
}

export async function countOwners(db: DbOrTx, orgId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.role, 'owner')));
  return row?.n ?? 0;
}

export async function setRole(db: DbOrTx, orgId: string, userId: string, role: Role): Promise<void> {
  await db
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
}

export async function remove(db: DbOrTx, orgId: string, userId: string): Promise<void> {
  await db.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
}

/** Adds a membership; false when the user already belongs to the org. */
export async function add(db: DbOrTx, row: { orgId: string; userId: string; role: Role; createdAt: Date }) {
  const inserted = await db
    .insert(memberships)
    .values(row)
    .onConflictDoNothing()
    .returning({ userId: memberships.userId });
  return inserted.length > 0;
}
