import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
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

export async function listForMember(db: DbOrTx, userId: string) {
  return db
    .select({ org: orgs, role: memberships.role })
    .from(orgs)
    .innerJoin(memberships, and(eq(memberships.orgId, orgs.id), eq(memberships.userId, userId)))
    .orderBy(orgs.createdAt, orgs.id);
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
