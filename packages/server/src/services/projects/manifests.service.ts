import {
  AppError,
  declaredScopes,
  flattenRoutes,
  formatManifestPath,
  type Manifest,
  type ManifestVersion,
  type PushedManifest,
  validateManifest,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { type LookupCache, noLookupCache } from '../../store/lookups.js';
import { type Actor, requirePermission } from '../actor.js';
import { auditActorOf, recordAudit } from '../audit/audit.service.js';
import * as environmentsRepo from './environments.repo.js';
import type { EnvironmentsService } from './environments.service.js';
import * as repo from './manifests.repo.js';
import type { ProjectsService } from './projects.service.js';

export type ManifestsService = ReturnType<typeof createManifestsService>;

/** Key order is not meaningful (and jsonb does not keep it): compare manifests by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function toVersion(row: repo.ManifestRow, environment: { id: string; name: string }): ManifestVersion {
  const manifest = row.manifest as Manifest;
  return {
    environment: { id: environment.id, name: environment.name },
    version: row.version,
    pushedAt: row.pushedAt.toISOString(),
    pushedBy: row.pushedBy,
    // jsonb does not keep the author's key order, so lists are sorted to stay stable.
    scopes: declaredScopes(manifest).sort(),
    routeCount: flattenRoutes(manifest).length,
    manifest: manifest as unknown as Record<string, unknown>,
  };
}

export function createManifestsService({
  db,
  clock,
  projects,
  environments,
  lookups = noLookupCache,
}: {
  db: Db;
  clock: Clock;
  projects: Pick<ProjectsService, 'resolve'>;
  environments: Pick<EnvironmentsService, 'resolve'>;
  lookups?: LookupCache;
}) {
  const inForce = lookups.memo<Manifest | null>();
  async function currentFresh(environmentId: string, tx: DbOrTx = db): Promise<Manifest | null> {
    const row = await repo.current(tx, environmentId);
    return row ? (row.manifest as Manifest) : null;
  }

  return {
    /**
     * The manifest in force for an environment, or null when none was pushed; memoised outside a
     * transaction (a push is an insert, which drops the memo like any change it depends on).
     */
    async current(environmentId: string, tx: DbOrTx = db): Promise<Manifest | null> {
      if (tx !== db) return currentFresh(environmentId, tx);
      return inForce.get(environmentId, () => currentFresh(environmentId));
    },

    /** The same, always from the database: for a cache of its own (verification's), which must not stack on the memo. */
    currentFresh,

    /** The same with its version number, for callers that record which version they used. */
    async currentVersion(environmentId: string, tx: DbOrTx = db) {
      const row = await repo.current(tx, environmentId);
      return row
        ? { version: row.version, pushedAt: row.pushedAt, manifest: row.manifest as Manifest }
        : null;
    },

    async get(actor: Actor, projectRef: string, envRef: string): Promise<ManifestVersion> {
      requirePermission(actor, 'projects:read');
      const project = await projects.resolve(actor, projectRef);
      const env = await environments.resolve(actor, project.id, envRef);
      const row = await repo.current(db, env.id);
      if (!row) {
        throw new AppError(
          'NOT_FOUND',
          `No access manifest has been pushed to ${env.name} of ${project.name} yet.`,
          {
            hint: `Run \`latch scopes push --env ${env.name}\` in the project folder (it reads latch.config.ts, .js or .json).`,
          },
        );
      }
      return toVersion(row, env);
    },

    /**
     * Validates and stores a new manifest version for one environment. Pushing what is already
     * in force changes nothing: no new version, no audit entry, `changed: false`.
     */
    async push(
      actor: Actor,
      projectRef: string,
      envRef: string,
      input: unknown,
      /** `latch deploy` pushes inside its release transaction (a savepoint here). */
      outer: DbOrTx = db,
    ): Promise<PushedManifest> {
      const org = requirePermission(actor, 'deploy:write');
      const project = await projects.resolve(actor, projectRef, outer);
      const checked = validateManifest(input);
      if (!checked.ok) {
        const [first] = checked.issues;
        const more = checked.issues.length > 1 ? ` (and ${checked.issues.length - 1} more)` : '';
        throw new AppError(
          'INVALID_INPUT',
          `The access manifest is not valid: ${first!.path}: ${first!.message}${more}.`,
          {
            hint: 'Fix the fields listed in details.issues; `latch scopes push` checks the file before sending it.',
            details: { issues: checked.issues },
          },
        );
      }
      const manifest = checked.manifest;
      if (manifest.project !== project.name) {
        const path = formatManifestPath(['project']);
        const message = `is "${manifest.project}" but this pushes to project ${project.name}`;
        throw new AppError(
          'INVALID_INPUT',
          `The access manifest is for another project: ${path} ${message}.`,
          {
            hint: `Set project: '${project.name}' in the config file, or push to project ${manifest.project} (--project ${manifest.project}).`,
            details: { issues: [{ path, message }] },
          },
        );
      }
      return outer.transaction(async (tx) => {
        const found = await environments.resolve(actor, project.id, envRef, tx);
        // Serialises pushes to one environment, so version numbers never collide.
        const env = (await environmentsRepo.findForUpdate(tx, project.id, found.id)) ?? found;
        const current = await repo.current(tx, env.id);
        if (current && canonical(current.manifest) === canonical(manifest)) {
          return { ...toVersion(current, env), changed: false };
        }
        const row = await repo.insert(tx, {
          id: newId('mfv'),
          orgId: org.id,
          projectId: project.id,
          environmentId: env.id,
          version: (current?.version ?? 0) + 1,
          manifest,
          pushedBy: auditActorOf(actor).label,
          pushedAt: clock.now(),
        });
        const version = toVersion(row, env);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'manifest.pushed',
          target: { type: 'environment', id: env.id },
          data: {
            project: project.name,
            environment: env.name,
            version: row.version,
            scopes: version.scopes,
            routeCount: version.routeCount,
          },
        });
        return { ...version, changed: true };
      });
    },
  };
}
