import { and, desc, eq, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { serviceAccounts, tokens, users } from '../../store/schema.js';
import type { TokenRow } from '../tokens/tokens.repo.js';

export type ServiceAccountRow = typeof serviceAccounts.$inferSelect;
export type ServiceAccountListRow = {
  account: ServiceAccountRow;
  creatorEmail: string | null;
  activeKeys: number;
};
export type KeyRow = { key: TokenRow; creatorEmail: string | null };

const live = (orgId: string) => and(eq(serviceAccounts.orgId, orgId), isNull(serviceAccounts.deletedAt));

/** `ref` is an id or a name (any case); an id match wins over a name that happens to look like one. */
function byRef(ref: string): { where: SQL | undefined; order: SQL } {
  return {
    where: or(eq(serviceAccounts.id, ref), sql`lower(${serviceAccounts.name}) = lower(${ref})`),
    order: sql`${serviceAccounts.id} = ${ref}`,
  };
}

export async function list(
  db: DbOrTx,
  orgId: string,
  now: Date,
  limit: number,
  cursor: Cursor | null,
): Promise<ServiceAccountListRow[]> {
  const ks = keyset(serviceAccounts.createdAt, serviceAccounts.id, cursor);
  const activeKeys = sql<number>`(SELECT count(*)::int FROM ${tokens} t WHERE t.service_account_id = ${serviceAccounts.id}
    AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ${now}))`;
  return db
    .select({ account: serviceAccounts, creatorEmail: users.email, activeKeys })
    .from(serviceAccounts)
    .leftJoin(users, eq(users.id, serviceAccounts.createdBy))
    .where(and(live(orgId), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/**
 * A live service account of the org, locked: `update` for deleting it, `share` for making a key,
 * so a key can never be added to an account that a concurrent delete is removing.
 */
export async function findLocked(
  db: DbOrTx,
  orgId: string,
  ref: string,
  lock: 'update' | 'share',
): Promise<ServiceAccountRow | null> {
  const r = byRef(ref);
  const [row] = await db
    .select()
    .from(serviceAccounts)
    .where(and(live(orgId), r.where))
    .orderBy(desc(r.order))
    .limit(1)
    .for(lock);
  return row ?? null;
}

export async function find(db: DbOrTx, orgId: string, ref: string): Promise<ServiceAccountRow | null> {
  const r = byRef(ref);
  const [row] = await db
    .select()
    .from(serviceAccounts)
    .where(and(live(orgId), r.where))
    .orderBy(desc(r.order))
    .limit(1);
  return row ?? null;
}

export async function nameTaken(db: DbOrTx, orgId: string, name: string): Promise<boolean> {
  const [row] = await db
    .select({ id: serviceAccounts.id })
    .from(serviceAccounts)
    .where(and(live(orgId), sql`lower(${serviceAccounts.name}) = lower(${name})`))
    .limit(1);
  return Boolean(row);
}

export async function insert(
  db: DbOrTx,
  row: typeof serviceAccounts.$inferInsert,
): Promise<ServiceAccountRow> {
  const [created] = await db.insert(serviceAccounts).values(row).returning();
  return created!;
}

export async function markDeleted(db: DbOrTx, id: string, at: Date): Promise<void> {
  await db.update(serviceAccounts).set({ deletedAt: at }).where(eq(serviceAccounts.id, id));
}

/** Revokes every live key of the account; returns how many were live. */
export async function revokeAllKeys(db: DbOrTx, serviceAccountId: string, at: Date): Promise<number> {
  const revoked = await db
    .update(tokens)
    .set({ revokedAt: at })
    .where(and(eq(tokens.serviceAccountId, serviceAccountId), isNull(tokens.revokedAt)))
    .returning({ id: tokens.id });
  return revoked.length;
}

function selectKeys(db: DbOrTx) {
  return db
    .select({ key: tokens, creatorEmail: users.email })
    .from(tokens)
    .leftJoin(users, eq(users.id, tokens.createdBy));
}

export async function listKeys(
  db: DbOrTx,
  serviceAccountId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<KeyRow[]> {
  const ks = keyset(tokens.createdAt, tokens.id, cursor);
  return selectKeys(db)
    .where(
      and(eq(tokens.serviceAccountId, serviceAccountId), eq(tokens.kind, 'service_account_key'), ks.where),
    )
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

export async function findKeyForUpdate(
  db: DbOrTx,
  serviceAccountId: string,
  keyId: string,
): Promise<KeyRow | null> {
  const [row] = await selectKeys(db)
    .where(
      and(
        eq(tokens.id, keyId),
        eq(tokens.serviceAccountId, serviceAccountId),
        eq(tokens.kind, 'service_account_key'),
      ),
    )
    .for('update', { of: tokens })
    .limit(1);
  return row ?? null;
}
