import type { Role } from '@latchkey/core';
import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { memberships, tokens, users } from '../../store/schema.js';
import type { TokenRow } from '../tokens/tokens.repo.js';

/** A platform key with what its status depends on: the creator's email and current role in the org. */
export type PlatformKeyRow = { key: TokenRow; creatorEmail: string | null; creatorRole: Role | null };

function selectKeys(db: DbOrTx) {
  return db
    .select({ key: tokens, creatorEmail: users.email, creatorRole: memberships.role })
    .from(tokens)
    .leftJoin(users, eq(users.id, tokens.createdBy))
    .leftJoin(
      memberships,
      and(eq(memberships.orgId, tokens.orgId), eq(memberships.userId, tokens.createdBy)),
    );
}

export async function list(
  db: DbOrTx,
  orgId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<PlatformKeyRow[]> {
  const ks = keyset(tokens.createdAt, tokens.id, cursor);
  return selectKeys(db)
    .where(and(eq(tokens.orgId, orgId), eq(tokens.kind, 'platform_key'), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/**
 * One platform key of one org, locked for the rest of the transaction so a rotation and a
 * revocation of the same key cannot interleave. Another org's key is simply not found.
 */
export async function findForUpdate(db: DbOrTx, orgId: string, id: string): Promise<PlatformKeyRow | null> {
  const [row] = await selectKeys(db)
    .where(and(eq(tokens.id, id), eq(tokens.orgId, orgId), eq(tokens.kind, 'platform_key')))
    .for('update', { of: tokens })
    .limit(1);
  return row ?? null;
}
