import type { ApiKeyStatus } from '@latchkey/core';
import { and, eq, gt, isNotNull, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Pool, QueryArrayConfig } from 'pg';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { apiKeys, environments, type projects, users } from '../../store/schema.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
/** A key with the name of its environment, which is what people and verification answers show. */
/** `createdBy`: the creator's email (null for a service account, or once the user is deleted). */
export type ApiKeyWithEnv = { key: ApiKeyRow; environment: string; createdBy?: string | null };
// Projects and environments are the projects domain's; these are only their row types.
export type ProjectRow = typeof projects.$inferSelect;
export type EnvironmentRow = typeof environments.$inferSelect;

// ---- keys ----

const withEnv = { key: apiKeys, environment: environments.name, createdBy: users.email };

export async function insert(db: DbOrTx, row: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
  const [created] = await db.insert(apiKeys).values(row).returning();
  return created!;
}

/** A new key, as it reads back once inserted: the columns the insert leaves out are null. */
export type NewApiKey = Omit<
  ApiKeyRow,
  'previousHash' | 'previousExpiresAt' | 'rotatedAt' | 'lastUsedAt' | 'revokedAt'
>;

/**
 * The INSERT of a new key for a statement that chains its audit row to it (audit.service.ts
 * recordAuditWithChange): written only where `guard` holds.
 */
export function insertWhere(key: NewApiKey, guard: SQL): SQL {
  return sql`INSERT INTO api_keys (id, org_id, project_id, environment_id, name, scope, key_hash,
      display_prefix, metadata, created_by_type, created_by, created_at, expires_at)
    SELECT ${key.id}::text, ${key.orgId}::text, ${key.projectId}::text, ${key.environmentId}::text,
      ${key.name}::text, ${key.scope}::text, ${key.keyHash}::bytea, ${key.displayPrefix}::text,
      ${JSON.stringify(key.metadata)}::jsonb, ${key.createdByType}::text, ${key.createdBy}::text,
      ${key.createdAt}::timestamptz, ${key.expiresAt}::timestamptz
    WHERE ${guard}
    RETURNING 1`;
}

/** The row insertWhere wrote, as a read would return it. */
export function newKeyRow(key: NewApiKey): ApiKeyRow {
  return {
    ...key,
    previousHash: null,
    previousExpiresAt: null,
    rotatedAt: null,
    lastUsedAt: null,
    revokedAt: null,
  };
}

/**
 * What verification reads of a key, found by the hash of either of its secrets. The hashes come
 * back in base64, the verification cache's key, so a row is matched to its look-up without a
 * Buffer (`previousHash` is null unless the key is rotating). A row is its values in the
 * statement's column order (rowMode 'array'): node-postgres builds each row object from a
 * dictionary-mode template, slow to make and to read, and every cache miss reads one.
 */
export type VerifyRow = [
  id: string,
  orgId: string,
  projectId: string,
  environmentId: string,
  environment: string,
  name: string,
  scope: string,
  keyHash: string,
  previousHash: string | null,
  metadata: Record<string, string> | null,
  expiresAt: Date | null,
  revokedAt: Date | null,
  previousExpiresAt: Date | null,
];

/** Each column's position in a VerifyRow, so readers name what they take rather than count. */
export const VERIFY_COLUMN = {
  id: 0,
  orgId: 1,
  projectId: 2,
  environmentId: 3,
  environment: 4,
  name: 5,
  scope: 6,
  keyHash: 7,
  previousHash: 8,
  metadata: 9,
  expiresAt: 10,
  revokedAt: 11,
  previousExpiresAt: 12,
} as const;

// A named statement: each pooled connection parses and plans it once, then only binds and runs
// it. This is the cache-miss path of verification, so it skips the query builder too. Both
// columns have a unique index; `= ANY` over them is two bitmap index scans, whatever the count.
// The environment's name is a subquery, not a join: joined, the planner reads every environment
// (a hash over a sequential scan, or in the prepared statement's generic plan a merge join over
// the whole primary key) to match a handful of keys; the subquery is one primary-key probe per row
// found (0.05 ms instead of 0.2 ms a statement, at 1,000 and at 10,000 environments).
// environment_id is NOT NULL with a foreign key, so it always finds the row the join did.
const BY_HASHES: QueryArrayConfig = {
  name: 'latch_api_keys_by_hashes',
  rowMode: 'array' as const,
  text: `SELECT k.id, k.org_id, k.project_id, k.environment_id,
                (SELECT e.name FROM environments e WHERE e.id = k.environment_id) AS environment,
                k.name, k.scope,
                encode(k.key_hash, 'base64') AS key_hash, encode(k.previous_hash, 'base64') AS previous_hash,
                k.metadata, k.expires_at, k.revoked_at, k.previous_expires_at
           FROM api_keys k
          WHERE k.key_hash = ANY($1::bytea[]) OR k.previous_hash = ANY($1::bytea[])`,
};

/**
 * Verification's one query: the keys whose current or replaced secret has one of these hashes.
 * `pool`: the database's verifyPool (store/db.ts), whose sessions plan it once. The config's
 * constant fields come from its prototype: node-postgres copies every own property of a query
 * config (by descriptor, which is slow), so only `values` is one.
 */
export async function findByHashes(pool: Pool, hashes: Buffer[]): Promise<VerifyRow[]> {
  const config: QueryArrayConfig = Object.create(BY_HASHES);
  config.values = [hashes];
  const { rows } = await pool.query<VerifyRow>(config);
  return rows;
}

/** Locked for the transaction, so a rotation and a revocation of one key cannot interleave. */
export async function findForUpdate(
  db: DbOrTx,
  projectId: string,
  id: string,
): Promise<ApiKeyWithEnv | null> {
  const [row] = await db
    .select(withEnv)
    .from(apiKeys)
    .innerJoin(environments, eq(environments.id, apiKeys.environmentId))
    .leftJoin(users, eq(users.id, apiKeys.createdBy))
    .where(and(eq(apiKeys.id, id), eq(apiKeys.projectId, projectId)))
    .for('update', { of: apiKeys })
    .limit(1);
  return row ?? null;
}

export type ListFilter = { scope?: string; environmentId?: string; status?: ApiKeyStatus };

/** Keeps the status rules in one place with status.ts: revoked > expired > rotating > expiring > active. */
function statusWhere(status: ApiKeyStatus, now: Date, expiringBefore: Date): SQL | undefined {
  const live = and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)));
  const rotating = gt(apiKeys.previousExpiresAt, now);
  const notRotating = or(isNull(apiKeys.previousExpiresAt), lte(apiKeys.previousExpiresAt, now));
  switch (status) {
    case 'revoked':
      return isNotNull(apiKeys.revokedAt);
    case 'expired':
      return and(isNull(apiKeys.revokedAt), lte(apiKeys.expiresAt, now));
    case 'rotating':
      return and(live, rotating);
    case 'expiring':
      return and(live, notRotating, lte(apiKeys.expiresAt, expiringBefore));
    case 'active':
      return and(live, notRotating, or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, expiringBefore)));
  }
}

export async function list(
  db: DbOrTx,
  projectId: string,
  filter: ListFilter,
  page: { limit: number; cursor: Cursor | null },
  clock: { now: Date; expiringBefore: Date },
): Promise<ApiKeyWithEnv[]> {
  const ks = keyset(apiKeys.createdAt, apiKeys.id, page.cursor);
  return db
    .select(withEnv)
    .from(apiKeys)
    .innerJoin(environments, eq(environments.id, apiKeys.environmentId))
    .leftJoin(users, eq(users.id, apiKeys.createdBy))
    .where(
      and(
        eq(apiKeys.projectId, projectId),
        filter.scope ? eq(apiKeys.scope, filter.scope) : undefined,
        filter.environmentId ? eq(apiKeys.environmentId, filter.environmentId) : undefined,
        filter.status ? statusWhere(filter.status, clock.now, clock.expiringBefore) : undefined,
        ks.where,
      ),
    )
    .orderBy(...ks.orderBy)
    .limit(page.limit + 1);
}

export async function update(
  db: DbOrTx,
  id: string,
  set: Partial<typeof apiKeys.$inferInsert>,
): Promise<ApiKeyRow> {
  const [row] = await db.update(apiKeys).set(set).where(eq(apiKeys.id, id)).returning();
  return row!;
}

/**
 * Coalesced last-used writes, many keys in one statement (optionally only a project's keys).
 * Only last_used_at changes, which the invalidation trigger ignores, and a later time never goes
 * backwards. Answers the ids that moved.
 */
export async function touchLastUsed(
  db: DbOrTx,
  uses: { id: string; at: Date }[],
  projectId?: string,
): Promise<string[]> {
  if (uses.length === 0) return [];
  const rows = JSON.stringify(uses.map((u) => ({ id: u.id, at: u.at.toISOString() })));
  const result = await db.execute<{ id: string }>(sql`
    UPDATE api_keys AS k SET last_used_at = v.at
    FROM jsonb_to_recordset(${rows}::jsonb) AS v(id text, at timestamptz)
    WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.at)
      ${projectId === undefined ? sql`` : sql`AND k.project_id = ${projectId}`}
    RETURNING k.id`);
  return result.rows.map((r) => r.id);
}
