import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import { environments, projects } from '../../store/schema.js';

export type ProjectRow = typeof projects.$inferSelect;

/** By id, or by name case-insensitively; only within `orgId`, so another org's project is not found. */
export async function findByRef(db: DbOrTx, orgId: string, ref: string): Promise<ProjectRow | null> {
  const [row] = await db
    .select()
    .from(projects)
    .where(
      and(
        eq(projects.orgId, orgId),
        sql`(${projects.id} = ${ref} OR lower(${projects.name}) = lower(${ref}))`,
      ),
    )
    .limit(1);
  return row ?? null;
}

/** Across every org: prefixes are unique per server. */
export async function prefixTaken(db: DbOrTx, keyPrefix: string): Promise<boolean> {
  const [row] = await db
    .select({ id: projects.id })
    .from(projects)
    .where(eq(projects.keyPrefix, keyPrefix))
    .limit(1);
  return Boolean(row);
}

export async function nameTaken(db: DbOrTx, orgId: string, name: string): Promise<boolean> {
  const [row] = await db
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.orgId, orgId), sql`lower(${projects.name}) = lower(${name})`))
    .limit(1);
  return Boolean(row);
}

export async function insert(db: DbOrTx, row: typeof projects.$inferInsert): Promise<ProjectRow> {
  const [created] = await db.insert(projects).values(row).returning();
  return created!;
}

export async function list(
  db: DbOrTx,
  orgId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<ProjectRow[]> {
  const ks = keyset(projects.createdAt, projects.id, cursor);
  return db
    .select()
    .from(projects)
    .where(and(eq(projects.orgId, orgId), ks.where))
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/** Environment names per project, alphabetical: one query for a whole page of projects. */
export async function environmentNames(db: DbOrTx, projectIds: string[]): Promise<Map<string, string[]>> {
  const byProject = new Map<string, string[]>(projectIds.map((id) => [id, []]));
  if (projectIds.length === 0) return byProject;
  const rows = await db
    .select({ projectId: environments.projectId, name: environments.name })
    .from(environments)
    .where(inArray(environments.projectId, projectIds))
    .orderBy(asc(environments.name));
  for (const r of rows) byProject.get(r.projectId)?.push(r.name);
  return byProject;
}

/** The project, locked for its deletion; none of another org. */
export async function findForUpdate(db: DbOrTx, orgId: string, ref: string): Promise<ProjectRow | null> {
  const [row] = await db
    .select()
    .from(projects)
    .where(
      and(
        eq(projects.orgId, orgId),
        sql`(${projects.id} = ${ref} OR lower(${projects.name}) = lower(${ref}))`,
      ),
    )
    .for('update')
    .limit(1);
  return row ?? null;
}

/** Removes the project; its environments and everything in them go with it (ON DELETE CASCADE). */
export async function remove(db: DbOrTx, id: string): Promise<void> {
  await db.delete(projects).where(eq(projects.id, id));
}
