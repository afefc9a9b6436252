import {
  AppError,
  type DeletedEnvironment,
  type Environment,
  environmentNameError,
  type PageQuery,
  STANDARD_ENVIRONMENTS,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx, Tx } from '../../store/db.js';
import { type LookupCache, noLookupCache } from '../../store/lookups.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import * as repo from './environments.repo.js';
import {
  invalidInput,
  isUniqueViolation,
  orgOf,
  type ProjectRow,
  type ProjectsService,
} from './projects.service.js';

export type EnvironmentRow = repo.EnvironmentRow;
export type EnvironmentsService = ReturnType<typeof createEnvironmentsService>;

/**
 * Runs inside the deleting transaction, before the rows go: the place for other domains to act on
 * what cascades away (e.g. evicting the environment's API keys from verification caches with a
 * NOTIFY, which PostgreSQL delivers only if the delete commits).
 */
export type EnvironmentDeletingHook = (
  tx: Tx,
  deleted: { orgId: string; projectId: string; environmentId: string; name: string; apiKeyIds: string[] },
) => Promise<void>;

/**
 * Runs inside the creating transaction, after the row is inserted: the place for other domains to
 * set up what belongs to a new environment (e.g. its database and managed DATABASE_URL secret).
 */
export type EnvironmentCreatedHook = (
  tx: Tx,
  created: { actor: Actor; project: ProjectRow; environment: EnvironmentRow },
) => Promise<void>;

/** Runs after a deletion committed: for what cannot be rolled back (dropping the environment database). */
export type EnvironmentDeletedHook = (deleted: {
  orgId: string;
  environmentId: string;
  name: string;
}) => Promise<void>;

type Summary = { version: number; pushedAt: Date } | undefined;

/** `project` nested as `{ id, name }` like the environment in secrets and releases; `projectId` kept for old clients. */
function toEnvironment(
  row: EnvironmentRow,
  manifest: Summary,
  project: { id: string; name: string },
): Environment {
  return {
    id: row.id,
    projectId: row.projectId,
    project: { id: project.id, name: project.name },
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    manifest: manifest ? { version: manifest.version, pushedAt: manifest.pushedAt.toISOString() } : null,
  };
}

function environmentNotFound(ref: string, project: ProjectRow): AppError {
  return new AppError('NOT_FOUND', `No environment ${ref} in project ${project.name}.`, {
    hint: `Run \`latch env list --project ${project.name}\` to see them, or \`latch env create <name>\`.`,
  });
}

function environmentExists(name: string, project: ProjectRow): AppError {
  return new AppError('CONFLICT', `Project ${project.name} already has an environment named ${name}.`, {
    hint: 'Run `latch env list` to see them, or pick another name.',
  });
}

export function createEnvironmentsService({
  db,
  clock,
  projects,
  lookups = noLookupCache,
}: {
  db: Db;
  clock: Clock;
  projects: Pick<ProjectsService, 'resolve'>;
  lookups?: LookupCache;
}) {
  const rows = lookups.memo<EnvironmentRow | null>();
  const deletingHooks: EnvironmentDeletingHook[] = [];
  const createdHooks: EnvironmentCreatedHook[] = [];
  const deletedHooks: EnvironmentDeletedHook[] = [];

  /** Inserts, audits and runs the created hooks in `tx`; the caller has checked permission and name. */
  async function createWithin(
    tx: Tx,
    actor: Actor,
    project: ProjectRow,
    name: string,
  ): Promise<EnvironmentRow> {
    const org = orgOf(actor);
    if (await repo.findByRef(tx, project.id, name)) throw environmentExists(name, project);
    const row = await repo.insert(tx, {
      id: newId('env'),
      orgId: org.id,
      projectId: project.id,
      name,
      createdBy: actor.principal.kind === 'user' ? actor.principal.userId : null,
      createdAt: clock.now(),
    });
    await recordAudit(tx, actor, {
      orgId: org.id,
      action: 'environment.created',
      target: { type: 'environment', id: row.id },
      data: { project: project.name, projectId: project.id, name },
    });
    for (const hook of createdHooks) await hook(tx, { actor, project, environment: row });
    return row;
  }

  /**
   * The environment `ref` (name or id) of a project in the actor's org; 404 otherwise. Like
   * `projects.resolve`, it checks no permission: the calling service checks its own. Memoised
   * outside a transaction, like `projects.resolve`.
   */
  async function resolve(
    actor: Actor,
    projectId: string,
    ref: string,
    tx: DbOrTx = db,
  ): Promise<EnvironmentRow> {
    const org = orgOf(actor);
    const trimmed = ref.trim();
    const load = () => repo.findByRef(tx, projectId, trimmed);
    const row =
      tx === db ? await rows.get(`${projectId}\n${trimmed}`, load, (r) => r !== null) : await load();
    if (!row || row.orgId !== org.id) {
      const project = await projects.resolve(actor, projectId, tx);
      throw environmentNotFound(ref, project);
    }
    return row;
  }

  return {
    resolve,

    /** Register a hook that runs inside every environment deletion (see EnvironmentDeletingHook). */
    onDeleting(hook: EnvironmentDeletingHook): void {
      deletingHooks.push(hook);
    },

    /** Register a hook that runs inside every environment creation (see EnvironmentCreatedHook). */
    onCreated(hook: EnvironmentCreatedHook): void {
      createdHooks.push(hook);
    },

    /** Register a hook that runs after every committed deletion (see EnvironmentDeletedHook). */
    onDeleted(hook: EnvironmentDeletedHook): void {
      deletedHooks.push(hook);
    },

    /**
     * Before a project or an org is deleted (its environments go by ON DELETE CASCADE): locks them
     * and runs the deleting hooks in `tx`. Pass what it returns to `afterCascade` once `tx`
     * committed, so the deleted hooks (dropping environment databases) run as for one deletion.
     */
    async cascadeWithin(
      tx: Tx,
      where: { orgId: string; projectId?: string },
    ): Promise<{ environments: EnvironmentRow[]; apiKeys: number }> {
      const rows = await repo.lockAllIn(tx, where);
      let apiKeys = 0;
      for (const row of rows) {
        const apiKeyIds = await repo.apiKeyIds(tx, row.id);
        apiKeys += apiKeyIds.length;
        for (const hook of deletingHooks) {
          await hook(tx, {
            orgId: row.orgId,
            projectId: row.projectId,
            environmentId: row.id,
            name: row.name,
            apiKeyIds,
          });
        }
      }
      return { environments: rows, apiKeys };
    },

    async afterCascade(rows: EnvironmentRow[]): Promise<void> {
      for (const row of rows) {
        for (const hook of deletedHooks) {
          await hook({ orgId: row.orgId, environmentId: row.id, name: row.name });
        }
      }
    },

    /** For `latch deploy`, whose first deploy creates the environment inside its own transaction. */
    createWithin,

    async create(actor: Actor, projectRef: string, input: { name: string }): Promise<Environment> {
      requirePermission(actor, 'environments:write');
      const name = input.name.trim();
      const error = environmentNameError(name);
      if (error) throw invalidInput('name', error, `Common names: ${STANDARD_ENVIRONMENTS.join(', ')}.`);
      const project = await projects.resolve(actor, projectRef);
      try {
        return await db.transaction(async (tx) =>
          toEnvironment(await createWithin(tx, actor, project, name), undefined, project),
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw environmentExists(name, project);
        throw err;
      }
    },

    async list(actor: Actor, projectRef: string, query: PageQuery): Promise<Page<Environment>> {
      requirePermission(actor, 'environments:read');
      const project = await projects.resolve(actor, projectRef);
      const rows = await repo.list(db, project.id, query.limit, decodeCursor(query.cursor));
      const summaries = await repo.manifestSummaries(
        db,
        rows.slice(0, query.limit).map((r) => r.id),
      );
      return toPage(
        rows,
        query.limit,
        (r) => toEnvironment(r, summaries.get(r.id), project),
        (r) => ({ at: r.createdAt, id: r.id }),
      );
    },

    /**
     * Deletes an environment with its manifests (and, with `force`, its API keys). Without
     * `force` it refuses while API keys that still work belong to it: deleting them would cut
     * off the apps that use them.
     */
    async delete(
      actor: Actor,
      projectRef: string,
      envRef: string,
      opts: { force: boolean },
    ): Promise<DeletedEnvironment> {
      const org = requirePermission(actor, 'environments:manage');
      const project = await projects.resolve(actor, projectRef);
      const deleted = await db.transaction(async (tx) => {
        const row = await repo.findForUpdate(tx, project.id, envRef.trim());
        if (!row) throw environmentNotFound(envRef, project);
        const liveKeys = await repo.countLiveApiKeys(tx, row.id);
        if (liveKeys > 0 && !opts.force) {
          const keys = `${liveKeys} API key${liveKeys === 1 ? '' : 's'}`;
          throw new AppError('CONFLICT', `Environment ${row.name} of ${project.name} still has ${keys}.`, {
            hint: `Revoke them first (\`latch api-keys list --env ${row.name}\`), or add --force to delete the environment and its keys: apps using them are refused at once.`,
            details: { apiKeys: liveKeys },
          });
        }
        const summary = (await repo.manifestSummaries(tx, [row.id])).get(row.id);
        const apiKeyIds = await repo.apiKeyIds(tx, row.id);
        for (const hook of deletingHooks) {
          await hook(tx, {
            orgId: org.id,
            projectId: project.id,
            environmentId: row.id,
            name: row.name,
            apiKeyIds,
          });
        }
        await repo.remove(tx, row.id);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'environment.deleted',
          target: { type: 'environment', id: row.id },
          data: {
            project: project.name,
            projectId: project.id,
            name: row.name,
            force: opts.force,
            apiKeys: apiKeyIds.length,
          },
        });
        return { ...toEnvironment(row, summary, project), deletedApiKeys: apiKeyIds.length };
      });
      for (const hook of deletedHooks) {
        await hook({ orgId: org.id, environmentId: deleted.id, name: deleted.name });
      }
      return deleted;
    },
  };
}
