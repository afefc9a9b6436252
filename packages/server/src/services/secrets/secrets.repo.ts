import { and, desc, eq, gt, inArray, isNotNull, lt, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { environments, releaseSecrets, releases, secretVersions } from '../../store/schema.js';

export type SecretVersionRow = typeof secretVersions.$inferSelect;

/**
 * Serialises writes to one environment's secrets and releases (version and release numbers are
 * max+1). NO KEY UPDATE does not block foreign-key checks (an API key being created), but does
 * wait for an environment delete, which locks FOR UPDATE.
 */
export async function lockEnvironment(tx: DbOrTx, environmentId: string): Promise<void> {
  await tx
    .select({ id: environments.id })
    .from(environments)
    .where(eq(environments.id, environmentId))
    .for('no key update');
}

/** The newest version of one name (an unset is a version too, with no ciphertext). */
export async function latest(
  db: DbOrTx,
  environmentId: string,
  name: string,
): Promise<SecretVersionRow | null> {
  const [row] = await db
    .select()
    .from(secretVersions)
    .where(and(eq(secretVersions.environmentId, environmentId), eq(secretVersions.name, name)))
    .orderBy(desc(secretVersions.version))
    .limit(1);
  return row ?? null;
}

export async function byVersion(
  db: DbOrTx,
  environmentId: string,
  name: string,
  version: number,
): Promise<SecretVersionRow | null> {
  const [row] = await db
    .select()
    .from(secretVersions)
    .where(
      and(
        eq(secretVersions.environmentId, environmentId),
        eq(secretVersions.name, name),
        eq(secretVersions.version, version),
      ),
    );
  return row ?? null;
}

/**
 * The newest version of every name, by name; `after` and `limit` page through them. Unsets are
 * included (the list shows a removal that waits for the next deploy); `valuesOnly` leaves them out.
 */
export async function current(
  db: DbOrTx,
  environmentId: string,
  opts: { after?: string; limit?: number; valuesOnly?: boolean } = {},
): Promise<SecretVersionRow[]> {
  const newest = db
    .selectDistinctOn([secretVersions.name])
    .from(secretVersions)
    .where(
      and(
        eq(secretVersions.environmentId, environmentId),
        opts.after ? gt(secretVersions.name, opts.after) : undefined,
      ),
    )
    .orderBy(secretVersions.name, desc(secretVersions.version))
    .as('newest');
  const query = db
    .select()
    .from(newest)
    .where(opts.valuesOnly ? isNotNull(newest.ciphertext) : undefined)
    .orderBy(newest.name)
    .$dynamic();
  return (await (opts.limit ? query.limit(opts.limit) : query)) as SecretVersionRow[];
}

/**
 * The newest version of one name and whether any of its versions carries the managed flag, in
 * one statement (a write reads both, after locking the environment).
 */
export async function latestForWrite(
  db: DbOrTx,
  environmentId: string,
  name: string,
): Promise<{ latest: SecretVersionRow | null; managed: boolean }> {
  const [row] = await db
    .select({
      version: secretVersions,
      managed: sql<boolean>`EXISTS (SELECT 1 FROM ${secretVersions} m WHERE m.environment_id = ${environmentId}
        AND m.name = ${name} AND m.managed)`,
    })
    .from(secretVersions)
    .where(and(eq(secretVersions.environmentId, environmentId), eq(secretVersions.name, name)))
    .orderBy(desc(secretVersions.version))
    .limit(1);
  // No version at all: nothing to be managed either.
  return row ? { latest: row.version, managed: Boolean(row.managed) } : { latest: null, managed: false };
}

/** The INSERT of a new version, for the audit append that records it to carry (recordAudit). */
export function insertStatement(db: DbOrTx, row: typeof secretVersions.$inferInsert): SQL {
  return db.insert(secretVersions).values(row).getSQL();
}

/**
 * The INSERT of a new version for a statement that chains its audit row to it, outside any
 * transaction (audit.service.ts recordAuditWithChange): written only where `guard` holds. It
 * takes the environment's lock as lockEnvironment does (so it waits for a release or an import
 * under way), and writes nothing if another writer holds that version number already: the
 * version was computed from an unlocked read, and UNIQUE (environment_id, name, version) is what
 * keeps two writers from both taking max+1.
 */
export function insertUnlessTaken(row: SecretVersionRow, guard: SQL): SQL {
  return sql`INSERT INTO secret_versions (id, org_id, project_id, environment_id, name, version,
      ciphertext, action, rolled_back_to, managed, created_by_type, created_by, created_by_label,
      created_at)
    SELECT ${row.id}::text, ${row.orgId}::text, ${row.projectId}::text, ${row.environmentId}::text,
      ${row.name}::text, ${row.version}::integer, ${row.ciphertext}::bytea, ${row.action}::text,
      ${row.rolledBackTo}::integer, ${row.managed}::boolean, ${row.createdByType}::text,
      ${row.createdBy}::text, ${row.createdByLabel}::text, ${row.createdAt}::timestamptz
    WHERE ${guard}
      AND EXISTS (SELECT 1 FROM environments WHERE id = ${row.environmentId} FOR NO KEY UPDATE)
    ON CONFLICT (environment_id, name, version) DO NOTHING
    RETURNING 1`;
}

/** One name's versions, newest first, below `before` (a version number) for paging. */
export async function history(
  db: DbOrTx,
  environmentId: string,
  name: string,
  before: number | null,
  limit: number,
): Promise<SecretVersionRow[]> {
  return db
    .select()
    .from(secretVersions)
    .where(
      and(
        eq(secretVersions.environmentId, environmentId),
        eq(secretVersions.name, name),
        before === null ? undefined : lt(secretVersions.version, before),
      ),
    )
    .orderBy(desc(secretVersions.version))
    .limit(limit + 1);
}

/** Release numbers that pin each of the given secret versions. */
export async function pinningReleases(db: DbOrTx, versionIds: string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (versionIds.length === 0) return out;
  const rows = await db
    .select({ versionId: releaseSecrets.secretVersionId, number: releases.number })
    .from(releaseSecrets)
    .innerJoin(releases, eq(releases.id, releaseSecrets.releaseId))
    .where(inArray(releaseSecrets.secretVersionId, versionIds))
    .orderBy(releases.number);
  for (const r of rows) out.set(r.versionId, [...(out.get(r.versionId) ?? []), r.number]);
  return out;
}
