import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { accessManifests } from '../../store/schema.js';

export type ManifestRow = typeof accessManifests.$inferSelect;

/** The version in force: the newest push to the environment. */
export async function current(db: DbOrTx, environmentId: string): Promise<ManifestRow | null> {
  const [row] = await db
    .select()
    .from(accessManifests)
    .where(eq(accessManifests.environmentId, environmentId))
    .orderBy(desc(accessManifests.version))
    .limit(1);
  return row ?? null;
}

export async function insert(db: DbOrTx, row: typeof accessManifests.$inferInsert): Promise<ManifestRow> {
  const [created] = await db.insert(accessManifests).values(row).returning();
  return created!;
}
