import type { Release } from '@latchkey/core';
import { invalidInput } from '../projects/projects.service.js';
import type { Pin, ReleaseRow } from './releases.repo.js';

/** Release rows to the API's shape, and the small pure helpers around them. */
export function toRelease(row: ReleaseRow, envName: string, current: boolean): Release {
  return {
    id: row.id,
    environment: { id: row.environmentId, name: envName },
    number: row.number,
    message: row.message,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdByLabel,
    variables: row.variables,
    manifestVersion: row.manifestVersion,
    rollbackOf: row.rollbackOf,
    current,
  };
}

/** What a new release changes against the one in force, by name. */
export function diff(before: Pin[], after: Pin[]) {
  // A value is its version plus, when it has references, the versions it was resolved from.
  // (Not JSON.stringify: jsonb hands keys back in its own order.)
  const state = (p: Pin) =>
    `${p.version} ${(p.refs ?? []).map((r) => `${r.environment}.${r.name}@${r.version}`).join(',')}`;
  const old = new Map(before.map((p) => [p.name, state(p)]));
  const now = new Map(after.map((p) => [p.name, p.version]));
  return {
    added: after.filter((p) => !old.has(p.name)).map((p) => p.name),
    changed: after.filter((p) => old.has(p.name) && old.get(p.name) !== state(p)).map((p) => p.name),
    removed: before.filter((p) => !now.has(p.name)).map((p) => p.name),
  };
}

export function parseReleaseRef(ref: string): number {
  const match = /^v?(\d{1,9})$/i.exec(ref.trim());
  if (!match || Number(match[1]) < 1) {
    throw invalidInput('release', `"${ref}" is not a release number`, 'Name a release as v3 (or 3).');
  }
  return Number(match[1]);
}
