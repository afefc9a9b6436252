import { AppError, type Manifest, type ReleaseSide, validateManifest } from '@latchkey/core';
import type { DbOrTx } from '../../store/db.js';
import * as secretsRepo from '../secrets/secrets.repo.js';
import * as repo from './releases.repo.js';

/** What a release pins, as one side of a diff. */
export async function releaseSide(db: DbOrTx, row: repo.ReleaseRow | null): Promise<ReleaseSide> {
  if (!row) return { secrets: [], manifest: null };
  const manifest =
    row.manifestVersion === null ? null : await repo.manifestAt(db, row.environmentId, row.manifestVersion);
  return { secrets: await repo.pins(db, row.id), manifest: (manifest as Manifest | null) ?? null };
}

/**
 * What a deploy would pin now: the newest value of every secret and `manifest` (validated; an
 * invalid one compares as no change, the deploy itself reports its problems) or the one in force.
 */
export async function workingSide(
  db: DbOrTx,
  environmentId: string | null,
  manifest: unknown,
  inForce: Manifest | null,
): Promise<ReleaseSide & { rows: secretsRepo.SecretVersionRow[] }> {
  const rows = environmentId ? await secretsRepo.current(db, environmentId, { valuesOnly: true }) : [];
  let next = inForce;
  if (manifest !== undefined) {
    const checked = validateManifest(manifest);
    if (checked.ok) next = checked.manifest;
  }
  return { secrets: rows.map((r) => ({ name: r.name, version: r.version })), manifest: next, rows };
}

/**
 * The secrets a deploy would bring back although a rollback took them away: their newest version
 * was written before the live release, and that release is a rollback.
 */
export async function undoneByDeploy(
  db: DbOrTx,
  live: repo.ReleaseRow | null,
  changedNames: string[],
): Promise<string[]> {
  if (!live || live.rollbackOf === null || changedNames.length === 0) return [];
  const out: string[] = [];
  for (const name of changedNames) {
    const latest = await secretsRepo.latest(db, live.environmentId, name);
    if (latest && latest.createdAt < live.createdAt) out.push(name);
  }
  return out;
}

export function unknownRelease(where: string, envName: string, n: number): AppError {
  return new AppError('NOT_FOUND', `${where} has no release v${n}.`, {
    hint: `Run \`latch releases list --env ${envName}\` to see its releases.`,
  });
}
