import { and, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { sessions, users } from '../../store/schema.js';

export async function insert(db: DbOrTx, row: typeof sessions.$inferInsert) {
  await db.insert(sessions).values(row);
}

export async function findActiveByHash(db: DbOrTx, hash: Buffer) {
  const [row] = await db
    .select({ session: sessions, user: { id: users.id, email: users.email, name: users.name } })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, hash), isNull(sessions.revokedAt)))
    .limit(1);
  return row ?? null;
}

export async function touch(db: DbOrTx, id: string, at: Date) {
  await db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id));
}

export async function revoke(db: DbOrTx, id: string, at: Date) {
  await db.update(sessions).set({ revokedAt: at }).where(eq(sessions.id, id));
}

/** Signs a user out everywhere (after a password reset): every browser session ends. */
export async function revokeAllForUser(db: DbOrTx, userId: string, at: Date) {
  await db
    .update(sessions)
    .set({ revokedAt: at })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
}
