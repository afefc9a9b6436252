import { and, count, desc, eq, inArray, isNull, or } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { accessManifests, apiKeys, environments } from '../../store/schema.js';

export type EnvironmentRow = typeof environments.$inferSelect;

const byRef = (projectId: string, ref: string) =>
  and(eq(environments.projectId, projectId), or(eq(environments.name, ref), eq(environments.id, ref)));

/** By name or id within one project (names are lowercase by rule, so no case folding is needed). */
export async function findByRef(db: DbOrTx, projectId: string, ref: string): Promise<EnvironmentRow | null> {
  const [row] = await db.select().from(environments).where(byRef(projectId, ref)).limit(1);
  return row ?? null;
}

/**
 * The same, locked for the rest of the transaction: a delete and a manifest push (or an API key
 * being created, whose foreign key check takes a share lock) cannot interleave with it.
 */
export async function findForUpdate(
  db: DbOrTx,
  projectId: string,
  ref: string,
): Promise<EnvironmentRow | null> {
  const [row] = await db.select().from(environments).where(byRef(projectId, ref)).for('update').limit(1);
  return row ?? null;
}

export async function insert(db: DbOrTx, row: typeof environments.$inferInsert): Promise<EnvironmentRow> {
  const [created] = await db.insert(environments).values(row).returning();
  return created!;
}

export async function list(db: DbOrTx, projectId: string, limit: number, cursor: Cursor | null) {
  const ks = keyset(environments.createdAt, environments.id, cursor);
  return db
    .select()
    .from(environments)
    .where(and(eq(environments.projectId, projectId), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/** API keys that still work or could be rotated back into use: revoked ones are history. */
export async function countLiveApiKeys(db: DbOrTx, environmentId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.environmentId, environmentId), isNull(apiKeys.revokedAt)));
  return row?.n ?? 0;
}

export async function apiKeyIds(db: DbOrTx, environmentId: string): Promise<string[]> {
  const rows = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(eq(apiKeys.environmentId, environmentId));
  return rows.map((r) => r.id);
}

/** Removes the environment; its manifests and API keys go with it (ON DELETE CASCADE). */
export async function remove(db: DbOrTx, id: string): Promise<void> {
  await db.delete(environments).where(eq(environments.id, id));
}

/** The newest manifest version per environment, for list views. */
export async function manifestSummaries(db: DbOrTx, environmentIds: string[]) {
  const out = new Map<string, { version: number; pushedAt: Date }>();
  if (environmentIds.length === 0) return out;
  const rows = await db
    .selectDistinctOn([accessManifests.environmentId], {
      environmentId: accessManifests.environmentId,
      version: accessManifests.version,
      pushedAt: accessManifests.pushedAt,
    })
    .from(accessManifests)
    .where(inArray(accessManifests.environmentId, environmentIds))
    .orderBy(accessManifests.environmentId, desc(accessManifests.version));
  for (const r of rows) out.set(r.environmentId, { version: r.version, pushedAt: r.pushedAt });
  return out;
}

/** Every environment of a project, or of a whole org, locked for its deletion by cascade. */
export async function lockAllIn(
  db: DbOrTx,
  where: { orgId: string; projectId?: string },
): Promise<EnvironmentRow[]> {
  const cond = where.projectId
    ? and(eq(environments.orgId, where.orgId), eq(environments.projectId, where.projectId))
    : eq(environments.orgId, where.orgId);
  return db.select().from(environments).where(cond).orderBy(environments.id).for('update');
}
