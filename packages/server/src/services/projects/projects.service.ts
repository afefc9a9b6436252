import {
  AppError,
  deriveKeyPrefix,
  keyPrefixError,
  normalizeKeyPrefix,
  type PageQuery,
  type Project,
  projectNameError,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { type LookupCache, noLookupCache } from '../../store/lookups.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, type OrgContext, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import * as repo from './projects.repo.js';

export type ProjectRow = repo.ProjectRow;
export type ProjectsService = ReturnType<typeof createProjectsService>;

/** The org a request acts in; services below `preValidation` always have one. */
export function orgOf(actor: Actor): OrgContext {
  if (!actor.org) throw new AppError('INTERNAL', 'No org context for a project lookup');
  return actor.org;
}

/** drizzle wraps driver errors, so the SQLSTATE may sit on the cause. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } } | null;
  return e?.code === '23505' || e?.cause?.code === '23505';
}

/** The unique index a violation hit (drizzle wraps the driver error, as above). */
function violatedConstraint(err: unknown): string | undefined {
  const e = err as { constraint?: string; cause?: { constraint?: string } } | null;
  return e?.constraint ?? e?.cause?.constraint;
}

export function invalidInput(field: string, message: string, hint: string): AppError {
  return new AppError('INVALID_INPUT', `${field}: ${message}.`, {
    hint,
    details: { issues: [{ path: field, message }] },
  });
}

export function toProject(row: ProjectRow, environments: string[]): Project {
  return {
    id: row.id,
    name: row.name,
    keyPrefix: row.keyPrefix,
    environments,
    createdAt: row.createdAt.toISOString(),
  };
}

function projectExists(name: string, org: OrgContext): AppError {
  return new AppError('CONFLICT', `A project named ${name} already exists in ${org.name}.`, {
    hint: `Pick another name, or run \`latch link ${name}\` to use the existing one.`,
  });
}

/**
 * Prefixes are unique server-wide (migration 0007): scanners route a leaked key by its prefix. The
 * message does not say which org holds it, so this reveals no more than that the prefix is taken.
 */
function prefixTaken(keyPrefix: string): AppError {
  return new AppError('CONFLICT', `The key prefix ${keyPrefix} is already used on this server.`, {
    hint: `Key prefixes are unique per server, so a leaked key leads to one project. Pick another with \`latch projects create <name> --prefix <prefix>\`, e.g. --prefix ${keyPrefix.slice(0, -1).slice(0, 14)}2.`,
  });
}

export function createProjectsService({
  db,
  clock,
  lookups = noLookupCache,
}: {
  db: Db;
  clock: Clock;
  lookups?: LookupCache;
}) {
  const rows = lookups.memo<ProjectRow | null>();

  /**
   * The project `ref` (id or name, any case) in the actor's org, for other services to build on.
   * No permission check of its own: the calling service checks the one its action needs (an
   * `api_keys:write` key may create keys without holding `projects:read`). Memoised outside a
   * transaction (one reads its own writes, and must).
   */
  async function resolve(actor: Actor, ref: string, tx: DbOrTx = db): Promise<ProjectRow> {
    const org = orgOf(actor);
    const trimmed = ref.trim();
    const load = () => repo.findByRef(tx, org.id, trimmed);
    const row = tx === db ? await rows.get(`${org.id}\n${trimmed}`, load, (r) => r !== null) : await load();
    // Another org's project answers exactly like one that does not exist.
    if (!row) {
      throw new AppError('NOT_FOUND', `No project ${ref} in ${org.name}.`, {
        hint: 'Run `latch projects list` to see the projects, or `latch projects create <name>`.',
      });
    }
    return row;
  }

  return {
    resolve,

    async create(actor: Actor, input: { name: string; keyPrefix?: string | undefined }): Promise<Project> {
      const org = requirePermission(actor, 'projects:write');
      const name = input.name.trim();
      const nameError = projectNameError(name);
      if (nameError) throw invalidInput('name', nameError, 'Example: latch projects create acme-api');
      const keyPrefix = input.keyPrefix ? normalizeKeyPrefix(input.keyPrefix) : deriveKeyPrefix(name);
      const prefixError = keyPrefixError(keyPrefix);
      if (prefixError)
        throw invalidInput('keyPrefix', prefixError, 'Example: --prefix acme (keys look like acme_…)');
      try {
        return await db.transaction(async (tx) => {
          if (await repo.nameTaken(tx, org.id, name)) throw projectExists(name, org);
          if (await repo.prefixTaken(tx, keyPrefix)) throw prefixTaken(keyPrefix);
          const row = await repo.insert(tx, {
            id: newId('prj'),
            orgId: org.id,
            name,
            keyPrefix,
            createdBy: actor.principal.kind === 'user' ? actor.principal.userId : null,
            createdAt: clock.now(),
          });
          await recordAudit(tx, actor, {
            orgId: org.id,
            action: 'project.created',
            target: { type: 'project', id: row.id },
            data: { name, keyPrefix },
          });
          return toProject(row, []);
        });
      } catch (err) {
        // Two creations of one name or prefix at once: the unique index decides, with the same answer.
        if (isUniqueViolation(err))
          throw violatedConstraint(err) === 'projects_key_prefix'
            ? prefixTaken(keyPrefix)
            : projectExists(name, org);
        throw err;
      }
    },

    async list(actor: Actor, query: PageQuery): Promise<Page<Project>> {
      const org = requirePermission(actor, 'projects:read');
      const rows = await repo.list(db, org.id, query.limit, decodeCursor(query.cursor));
      const envs = await repo.environmentNames(
        db,
        rows.slice(0, query.limit).map((r) => r.id),
      );
      return toPage(
        rows,
        query.limit,
        (r) => toProject(r, envs.get(r.id) ?? []),
        (r) => ({ at: r.createdAt, id: r.id }),
      );
    },

    async get(actor: Actor, ref: string): Promise<Project> {
      requirePermission(actor, 'projects:read');
      const row = await resolve(actor, ref);
      const envs = await repo.environmentNames(db, [row.id]);
      return toProject(row, envs.get(row.id) ?? []);
    },
  };
}
