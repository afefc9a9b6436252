import { and, eq, isNull, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { serviceAccounts, tokens, users } from '../../store/schema.js';

export type TokenRow = typeof tokens.$inferSelect;
export type NewTokenRow = typeof tokens.$inferInsert;

export async function findByHash(db: DbOrTx, hash: Buffer) {
  const [row] = await db
    .select({ token: tokens, user: { id: users.id, email: users.email } })
    .from(tokens)
    .leftJoin(users, eq(users.id, tokens.userId))
    .where(eq(tokens.tokenHash, hash))
    .limit(1);
  return row ?? null;
}

/**
 * The credential a bearer token names, by its current hash or (during a rotation's grace period) the
 * hash it replaced; both columns are uniquely indexed, so this is two index probes, no scan.
 */
export async function findForAuth(db: DbOrTx, hash: Buffer) {
  const [row] = await db
    .select({
      token: tokens,
      user: { id: users.id, email: users.email },
      serviceAccount: {
        id: serviceAccounts.id,
        name: serviceAccounts.name,
        role: serviceAccounts.role,
        deletedAt: serviceAccounts.deletedAt,
      },
    })
    .from(tokens)
    .leftJoin(users, eq(users.id, tokens.userId))
    .leftJoin(serviceAccounts, eq(serviceAccounts.id, tokens.serviceAccountId))
    .where(or(eq(tokens.tokenHash, hash), eq(tokens.previousHash, hash)))
    .limit(1);
  return row ?? null;
}

export async function insert(db: DbOrTx, row: NewTokenRow): Promise<TokenRow> {
  const [created] = await db.insert(tokens).values(row).returning();
  return created!;
}

/**
 * Revokes a platform or service-account key. Its replaced secret dies with it: clearing the
 * grace period keeps `status` honest.
 */
export async function markKeyRevoked(db: DbOrTx, id: string, at: Date): Promise<TokenRow> {
  const [row] = await db
    .update(tokens)
    .set({ revokedAt: at, previousExpiresAt: null })
    .where(eq(tokens.id, id))
    .returning();
  return row!;
}

/** A new secret for a credential; the one it replaces (`previousHash`) works until `previousExpiresAt`. */
export async function rotate(
  db: DbOrTx,
  id: string,
  next: {
    tokenHash: Buffer;
    displayPrefix: string;
    previousHash: Buffer;
    previousExpiresAt: Date;
    rotatedAt: Date;
  },
): Promise<TokenRow> {
  const [row] = await db.update(tokens).set(next).where(eq(tokens.id, id)).returning();
  return row!;
}

export async function listPats(db: DbOrTx, userId: string, limit: number, cursor: Cursor | null) {
  const ks = keyset(tokens.createdAt, tokens.id, cursor);
  return db
    .select()
    .from(tokens)
    .where(and(eq(tokens.userId, userId), eq(tokens.kind, 'pat'), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

export async function findPat(
  db: DbOrTx,
  userId: string,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<TokenRow | null> {
  const query = db
    .select()
    .from(tokens)
    .where(and(eq(tokens.id, id), eq(tokens.userId, userId), eq(tokens.kind, 'pat')))
    .limit(1);
  const [row] = opts.forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

export async function markRevoked(db: DbOrTx, id: string, at: Date): Promise<TokenRow | null> {
  const [row] = await db
    .update(tokens)
    .set({ revokedAt: at })
    .where(and(eq(tokens.id, id), isNull(tokens.revokedAt)))
    .returning();
  return row ?? null;
}

/** Coalesced last-used writes, many credentials in one statement; a later time never goes backwards. */
export async function touchLastUsed(db: DbOrTx, uses: { id: string; at: Date }[]): Promise<void> {
  if (uses.length === 0) return;
  const rows = JSON.stringify(uses.map((u) => ({ id: u.id, at: u.at.toISOString() })));
  await db.execute(sql`
    UPDATE tokens AS t SET last_used_at = v.at
    FROM jsonb_to_recordset(${rows}::jsonb) AS v(id text, at timestamptz)
    WHERE t.id = v.id AND (t.last_used_at IS NULL OR t.last_used_at < v.at)`);
}

export async function findById(db: DbOrTx, id: string): Promise<TokenRow | null> {
  const [row] = await db.select().from(tokens).where(eq(tokens.id, id)).limit(1);
  return row ?? null;
}
