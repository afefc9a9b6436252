import { and, desc, eq, inArray, max } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { type Cursor, keyset } from '../../store/pagination.js';
import {
  accessManifests,
  environments,
  type ResolvedFrom,
  releaseSecrets,
  releases,
  secretVersions,
} from '../../store/schema.js';

export type ReleaseRow = typeof releases.$inferSelect;
export type Pin = {
  name: string;
  version: number;
  secretVersionId: string;
  /** The encrypted value with references replaced, and what it came from (null: a plain value). */
  resolved?: Buffer | null;
  refs?: ResolvedFrom[] | null;
};

/** The release in force: the newest of the environment. */
export async function current(db: DbOrTx, environmentId: string): Promise<ReleaseRow | null> {
  const [row] = await db
    .select()
    .from(releases)
    .where(eq(releases.environmentId, environmentId))
    .orderBy(desc(releases.number))
    .limit(1);
  return row ?? null;
}

export async function byNumber(
  db: DbOrTx,
  environmentId: string,
  number: number,
): Promise<ReleaseRow | null> {
  const [row] = await db
    .select()
    .from(releases)
    .where(and(eq(releases.environmentId, environmentId), eq(releases.number, number)));
  return row ?? null;
}

export async function pins(db: DbOrTx, releaseId: string): Promise<Pin[]> {
  return db
    .select({
      name: releaseSecrets.name,
      version: releaseSecrets.version,
      secretVersionId: releaseSecrets.secretVersionId,
      refs: releaseSecrets.refs,
    })
    .from(releaseSecrets)
    .where(eq(releaseSecrets.releaseId, releaseId))
    .orderBy(releaseSecrets.name);
}

/** The pinned versions with their ciphertexts: one query for `latch run`, however many secrets. */
export async function pinnedCiphertexts(db: DbOrTx, releaseId: string) {
  return db
    .select({
      name: secretVersions.name,
      version: secretVersions.version,
      ciphertext: secretVersions.ciphertext,
      resolved: releaseSecrets.resolved,
      refs: releaseSecrets.refs,
      orgId: secretVersions.orgId,
      projectId: secretVersions.projectId,
      environmentId: secretVersions.environmentId,
    })
    .from(releaseSecrets)
    .innerJoin(secretVersions, eq(secretVersions.id, releaseSecrets.secretVersionId))
    .where(eq(releaseSecrets.releaseId, releaseId))
    .orderBy(releaseSecrets.name);
}

export async function insert(
  tx: DbOrTx,
  row: typeof releases.$inferInsert,
  pinned: Pin[],
): Promise<ReleaseRow> {
  const [created] = await tx.insert(releases).values(row).returning();
  // Chunked: one INSERT per 1,000 pins keeps statements well under PostgreSQL's parameter limit.
  for (let i = 0; i < pinned.length; i += 1000) {
    await tx
      .insert(releaseSecrets)
      .values(pinned.slice(i, i + 1000).map((p) => ({ releaseId: created!.id, ...p })));
  }
  return created!;
}

/** A project's releases, newest first, optionally of one environment, with the environment name. */
export async function list(
  db: DbOrTx,
  projectId: string,
  environmentId: string | null,
  limit: number,
  cursor: Cursor | null,
) {
  const ks = keyset(releases.createdAt, releases.id, cursor);
  return db
    .select({ release: releases, environmentName: environments.name })
    .from(releases)
    .innerJoin(environments, eq(environments.id, releases.environmentId))
    .where(
      and(
        eq(releases.projectId, projectId),
        environmentId ? eq(releases.environmentId, environmentId) : undefined,
        ks.where,
      ),
    )
    .orderBy(...ks.orderBy)
    .limit(limit + 1);
}

/** The newest release number per environment, to mark which listed releases are in force. */
export async function newestNumbers(db: DbOrTx, environmentIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (environmentIds.length === 0) return out;
  const rows = await db
    .select({ environmentId: releases.environmentId, number: max(releases.number) })
    .from(releases)
    .where(inArray(releases.environmentId, environmentIds))
    .groupBy(releases.environmentId);
  for (const r of rows) if (r.number !== null) out.set(r.environmentId, r.number);
  return out;
}

/** A pushed manifest version's content, to restore it when rolling back to a release that pinned it. */
export async function manifestAt(
  db: DbOrTx,
  environmentId: string,
  version: number,
): Promise<unknown | null> {
  const [row] = await db
    .select({ manifest: accessManifests.manifest })
    .from(accessManifests)
    .where(and(eq(accessManifests.environmentId, environmentId), eq(accessManifests.version, version)));
  return row?.manifest ?? null;
}
