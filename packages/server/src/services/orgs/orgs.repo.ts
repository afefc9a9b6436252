import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keysetAscending } from '../../store/pagination.js';
import { memberships, orgs } from '../../store/schema.js';

export type OrgRow = typeof orgs.$inferSelect;

/** By id, or by name case-insensitively; only orgs `userId` belongs to. */
export async function findForMember(db: DbOrTx, userId: string, ref: string) {
  const [row] = await db
    .select({ org: orgs, role: memberships.role })
    .from(orgs)
    .innerJoin(memberships, and(eq(memberships.orgId, orgs.id), eq(memberships.userId, userId)))
    .where(sql`(${orgs.id} = ${ref} OR lower(${orgs.name}) = lower(${ref}))`)
    .limit(1);
  return row ?? null;
}

/**
 * A member's orgs in the order they joined them (a creator joins at creation), a page at a time:
 * keyed on the membership, so each page is a range of index memberships_user_joined (0027)
 * however many orgs the user is in. Without a page: all of them.
 */
export async function listForMember(
  db: DbOrTx,
  userId: string,
  page?: { limit: number; cursor: Cursor | null },
) {
  const ks = keysetAscending(memberships.createdAt, memberships.orgId, page?.cursor ?? null);
  const query = db
    .select({ org: orgs, role: memberships.role, joinedAt: memberships.createdAt })
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(and(eq(memberships.userId, userId), ks.where))
    .orderBy(...ks.orderBy);
  return page ? query.limit(page.limit + 1) : query;
}

export async function nameTaken(db: DbOrTx, name: string): Promise<boolean> {
  const [row] = await db
    .select({ id: orgs.id })
    .from(orgs)
    .where(sql`lower(${orgs.name}) = lower(${name})`)
    .limit(1);
  return Boolean(row);
}

export async function insertOrg(db: DbOrTx, row: typeof orgs.$inferInsert): Promise<OrgRow> {
  const [created] = await db.insert(orgs).values(row).returning();
  return created!;
}

export async function addMember(
  db: DbOrTx,
  orgId: string,
  userId: string,
  role: typeof memberships.$inferInsert.role,
  createdAt: Date,
) {
  // The join time comes from the injected clock, like every other row's: members are listed by it.
  await db.insert(memberships).values({ orgId, userId, role, createdAt });
}

export async function findByRef(db: DbOrTx, ref: string): Promise<OrgRow | null> {
  const [row] = await db
    .select()
    .from(orgs)
    .where(sql`(${orgs.id} = ${ref} OR lower(${orgs.name}) = lower(${ref}))`)
    .limit(1);
  return row ?? null;
}
