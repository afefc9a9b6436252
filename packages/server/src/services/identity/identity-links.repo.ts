import { and, eq, lt } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { identityLinks, ssoRequests, users } from '../../store/schema.js';

export type IdentityLinkRow = typeof identityLinks.$inferSelect;
export type SsoRequestRow = typeof ssoRequests.$inferSelect;

export async function findBySubject(db: DbOrTx, issuer: string, subject: string) {
  const [row] = await db
    .select({ link: identityLinks, user: { id: users.id, email: users.email, name: users.name } })
    .from(identityLinks)
    .innerJoin(users, eq(users.id, identityLinks.userId))
    .where(and(eq(identityLinks.issuer, issuer), eq(identityLinks.subject, subject)))
    .limit(1);
  return row ?? null;
}

export async function insert(db: DbOrTx, row: typeof identityLinks.$inferInsert): Promise<IdentityLinkRow> {
  const [created] = await db.insert(identityLinks).values(row).returning();
  return created!;
}

export async function listForUser(db: DbOrTx, userId: string, limit: number, cursor: Cursor | null) {
  const ks = keyset(identityLinks.createdAt, identityLinks.id, cursor);
  return db
    .select()
    .from(identityLinks)
    .where(and(eq(identityLinks.userId, userId), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/** Only the owner's own link: another user's id matches nothing (and answers 404). */
export async function deleteForUser(db: DbOrTx, userId: string, id: string): Promise<IdentityLinkRow | null> {
  const [row] = await db
    .delete(identityLinks)
    .where(and(eq(identityLinks.id, id), eq(identityLinks.userId, userId)))
    .returning();
  return row ?? null;
}

export async function touch(db: DbOrTx, id: string, at: Date) {
  await db.update(identityLinks).set({ lastUsedAt: at }).where(eq(identityLinks.id, id));
}

export async function insertRequest(db: DbOrTx, row: SsoRequestRow) {
  await db.insert(ssoRequests).values(row);
}

/** Used once: the row is gone after the first callback that names it, whatever happens next. */
export async function takeRequest(db: DbOrTx, stateHash: Buffer): Promise<SsoRequestRow | null> {
  const [row] = await db.delete(ssoRequests).where(eq(ssoRequests.stateHash, stateHash)).returning();
  return row ?? null;
}

export async function purgeRequests(db: DbOrTx, now: Date) {
  await db.delete(ssoRequests).where(lt(ssoRequests.expiresAt, now));
}
