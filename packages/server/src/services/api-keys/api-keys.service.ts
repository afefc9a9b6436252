import {
  type ApiKey,
  AppError,
  type CreateApiKeyBody,
  type CreatedApiKey,
  displayPrefix,
  expiringBefore,
  expiryFrom,
  generateToken,
  hashToken,
  type ListApiKeysQuery,
  type Manifest,
  parseGracePeriod,
  planRotation,
  type RotateApiKeyBody,
  scopesToSet,
  type VerifyResult,
} from '@latchkey/core';
import type { Pool } from 'pg';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db } from '../../store/db.js';
import type { EventBus } from '../../store/notify.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, type OrgContext, type Principal, requirePermission } from '../actor.js';
import { recordAudit, recordAuditWithChange } from '../audit/audit.service.js';
import { cappedDefault, requireMayMint } from '../delegation.js';
import type { LastUsedRecorder } from '../last-used.js';
import * as repo from './api-keys.repo.js';
import { createCallerCache } from './caller-cache.js';
import {
  createVerifier,
  DEFAULT_CACHE_ENTRIES,
  DEFAULT_OUTAGE_GRACE_MS,
  type VerifyInput,
} from './verify.service.js';
import { toApiKey } from './view.js';

/**
 * An app API key calls the app, never /api/v1 (SPEC 2), so it holds no platform permission; who
 * may make or receive one is decided by api_keys:write (checked first) and its lifetime.
 */
const APP_KEY_REACH = scopesToSet([]);

export type ApiKeysService = ReturnType<typeof createApiKeysService>;

type Deps = {
  db: Db;
  /** The database's verifyPool (store/db.ts), for verification's cache misses. */
  verifyPool: Pool;
  clock: Clock;
  bus?: EventBus | undefined;
  lastUsed: LastUsedRecorder;
  /** From the database, not memoised: the caller cache below keeps the answers for its own second. */
  authenticate(token: string): Promise<Principal>;
  resolveOrg(principal: Principal, orgRef: string): Promise<OrgContext>;
  projects: { resolve(actor: Actor, ref: string): Promise<repo.ProjectRow> };
  environments: { resolve(actor: Actor, projectId: string, ref: string): Promise<repo.EnvironmentRow> };
  manifests: {
    current(environmentId: string): Promise<Manifest | null>;
    /** Not memoised: verification caches manifests itself, evicted by the bus's manifest events. */
    currentFresh(environmentId: string): Promise<Manifest | null>;
  };
  /** 0 turns the verification cache off (benchmarks of the cache-miss path). */
  cacheEntries?: number | undefined;
  /** How long cached verifications keep serving while the listener is away (default 5 minutes). */
  outageGraceMs?: number | undefined;
};

export function createApiKeysService(deps: Deps) {
  const { db, clock, lastUsed } = deps;
  const outageGraceMs = deps.outageGraceMs ?? DEFAULT_OUTAGE_GRACE_MS;
  const callers = createCallerCache({
    authenticate: deps.authenticate,
    resolveOrg: deps.resolveOrg,
    clock,
    outageGraceMs,
    inOutage: () => deps.bus !== undefined && !deps.bus.connected && deps.bus.downSince !== null,
  });
  const verifier = createVerifier({
    verifyPool: deps.verifyPool,
    clock,
    bus: deps.bus,
    callers,
    lastUsed,
    currentManifest: (environmentId) => deps.manifests.currentFresh(environmentId),
    cacheEntries: deps.cacheEntries ?? DEFAULT_CACHE_ENTRIES,
    outageGraceMs,
  });

  // Projects and environments are resolved by their own services: same 404s everywhere.
  const projectIn = (actor: Actor, ref: string) => deps.projects.resolve(actor, ref);
  const environmentOf = (actor: Actor, project: repo.ProjectRow, ref: string) =>
    deps.environments.resolve(actor, project.id, ref);

  /** SPEC 6: a key's scope must be declared by the environment's current manifest. */
  async function requireDeclared(project: repo.ProjectRow, env: repo.EnvironmentRow, scope: string) {
    const manifest = await deps.manifests.current(env.id);
    const declared = Object.keys(manifest?.apiKeys?.scopes ?? {}).sort();
    if (declared.length === 0) {
      throw new AppError('INVALID_INPUT', `${project.name}/${env.name} declares no API-key scopes yet.`, {
        hint: `Declare scopes under apiKeys.scopes in latch.config.ts, then run \`latch scopes push --env ${env.name}\`.`,
        details: { field: 'scope', declared },
      });
    }
    if (!declared.includes(scope)) {
      throw new AppError(
        'INVALID_INPUT',
        `Scope "${scope}" is not declared for ${project.name}/${env.name}. Declared scopes: ${declared.join(', ')}.`,
        {
          hint: 'Pick a declared scope, or add it to latch.config.ts and run `latch scopes push`.',
          details: { field: 'scope', declared },
        },
      );
    }
  }

  async function findKey(project: repo.ProjectRow, id: string, tx: Parameters<typeof repo.findForUpdate>[0]) {
    const found = await repo.findForUpdate(tx, project.id, id);
    if (!found) {
      throw new AppError('NOT_FOUND', `No API key ${id} in project ${project.name}.`, {
        hint: 'Run `latch api-keys list`.',
      });
    }
    return found;
  }

  return {
    authenticateCaller: callers.authenticate,

    async create(actor: Actor, projectRef: string, input: CreateApiKeyBody): Promise<CreatedApiKey> {
      const org = requirePermission(actor, 'api_keys:write');
      const project = await projectIn(actor, projectRef);
      const env = await environmentOf(actor, project, input.environment);
      await requireDeclared(project, env, input.scope);
      const now = clock.now();
      const expiresAt =
        input.expiresIn === undefined
          ? cappedDefault(actor, null)
          : expiryFrom(input.expiresIn, 'key', now, 'latch api-keys create');
      requireMayMint(actor, org.permissions, {
        doing: 'create this API key',
        wanted: { permissions: APP_KEY_REACH, expiresAt },
        expiryFlag: '--expires',
        org,
      });
      const token = generateToken(project.keyPrefix);
      const values: repo.NewApiKey = {
        id: newId('ak'),
        orgId: org.id,
        projectId: project.id,
        environmentId: env.id,
        name: input.name,
        scope: input.scope,
        keyHash: hashToken(token),
        displayPrefix: displayPrefix(token),
        metadata: input.metadata ?? {},
        createdByType: actor.principal.kind,
        createdBy: actor.principal.kind === 'user' ? actor.principal.userId : actor.principal.credential.id,
        createdAt: now,
        expiresAt,
      };
      const audit = {
        orgId: org.id,
        action: 'api_key.created',
        target: { type: 'api_key', id: values.id },
        data: {
          name: values.name,
          prefix: values.displayPrefix,
          project: project.name,
          environment: env.name,
          scope: values.scope,
          expiresAt: values.expiresAt?.toISOString() ?? null,
          // Sorted: the same whichever way the key was written (jsonb reorders keys).
          metadataKeys: Object.keys(values.metadata).sort(),
        },
      };
      // The key, its audit row and its api_key.created effects in one statement (one round trip
      // instead of four); a transaction only in the audit benchmark's plain mode.
      const written = await recordAuditWithChange(db, actor, audit, (guard) =>
        repo.insertWhere(values, guard),
      );
      const row = written
        ? repo.newKeyRow(values)
        : await db.transaction(async (tx) => {
            const key = await repo.insert(tx, values);
            await recordAudit(tx, actor, audit);
            return key;
          });
      const createdBy = actor.principal.kind === 'user' ? actor.principal.email : null;
      return { ...toApiKey({ key: row, environment: env.name, createdBy }, now), token };
    },

    async list(actor: Actor, projectRef: string, query: ListApiKeysQuery): Promise<Page<ApiKey>> {
      requirePermission(actor, 'api_keys:read');
      const project = await projectIn(actor, projectRef);
      const env = query.env ? await environmentOf(actor, project, query.env) : null;
      const now = clock.now();
      const rows = await repo.list(
        db,
        project.id,
        {
          ...(query.scope ? { scope: query.scope } : {}),
          ...(env ? { environmentId: env.id } : {}),
          ...(query.status ? { status: query.status } : {}),
        },
        { limit: query.limit, cursor: decodeCursor(query.cursor) },
        { now, expiringBefore: expiringBefore(now) },
      );
      return toPage(
        rows,
        query.limit,
        (r) => toApiKey(r, now),
        (r) => ({ at: r.key.createdAt, id: r.key.id }),
      );
    },

    /** Same id, name, scope and metadata; a new secret, shown once; the old one lives out its grace. */
    async rotate(
      actor: Actor,
      projectRef: string,
      id: string,
      input: RotateApiKeyBody,
    ): Promise<CreatedApiKey> {
      const org = requirePermission(actor, 'api_keys:write');
      const project = await projectIn(actor, projectRef);
      const grace = parseGracePeriod(input.gracePeriod, 'latch api-keys rotate <id>');
      const token = generateToken(project.keyPrefix);
      const now = clock.now();
      const { before, after, environment, createdBy } = await db.transaction(async (tx) => {
        const { key, environment, createdBy } = await findKey(project, id, tx);
        // The new secret goes to the caller: only one who could create this key now receives it.
        requireMayMint(actor, org.permissions, {
          doing: `receive the new secret of API key ${key.name}`,
          wanted: { permissions: APP_KEY_REACH, expiresAt: key.expiresAt },
          org,
        });
        const plan = planRotation(key, now, grace, {
          label: 'API key',
          createCommand: 'latch api-keys create',
        });
        const after = await repo.update(tx, key.id, {
          keyHash: hashToken(token),
          displayPrefix: displayPrefix(token),
          previousHash: key.keyHash,
          previousExpiresAt: plan.previousExpiresAt,
          rotatedAt: plan.rotatedAt,
        });
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'api_key.rotated',
          target: { type: 'api_key', id: key.id },
          data: {
            name: key.name,
            prefix: after.displayPrefix,
            previousPrefix: key.displayPrefix,
            gracePeriod: plan.gracePeriod,
            rotatingUntil: plan.previousExpiresAt.toISOString(),
          },
        });
        return { before: key, after, environment, createdBy };
      });
      verifier.evict([before.keyHash, ...(before.previousHash ? [before.previousHash] : [])]);
      return { ...toApiKey({ key: after, environment, createdBy }, now), token };
    },

    /** Immediate and final, for both secrets of a rotating key. */
    async revoke(actor: Actor, projectRef: string, id: string): Promise<ApiKey> {
      const org = requirePermission(actor, 'api_keys:write');
      const project = await projectIn(actor, projectRef);
      const now = clock.now();
      const { key, environment, createdBy } = await db.transaction(async (tx) => {
        const found = await findKey(project, id, tx);
        if (found.key.revokedAt) return found;
        const key = await repo.update(tx, found.key.id, { revokedAt: now, previousExpiresAt: null });
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'api_key.revoked',
          target: { type: 'api_key', id: key.id },
          data: { name: key.name, prefix: key.displayPrefix, environment: found.environment },
        });
        return { key, environment: found.environment, createdBy: found.createdBy };
      });
      verifier.evict([key.keyHash, ...(key.previousHash ? [key.previousHash] : [])]);
      return toApiKey({ key, environment, createdBy }, now);
    },

    /** `POST /api/v1/orgs/:org/projects/:project/verify`: keys of that project only. */
    async verifyInProject(actor: Actor, projectRef: string, input: VerifyInput): Promise<VerifyResult> {
      requirePermission(actor, 'api_keys:read');
      const project = await projectIn(actor, projectRef);
      return verifier.verify(input, { projectId: project.id });
    },

    /**
     * `POST /api/v1/verify`: the org comes from the key itself, and the caller must hold
     * api_keys:read there; otherwise the key answers NOT_FOUND, exactly like an unknown one.
     */
    verify(actor: Actor, input: VerifyInput): VerifyResult | Promise<VerifyResult> {
      return verifier.verify(input, { principal: actor.principal });
    },

    cacheSize: () => verifier.cacheSize(),
    verifyCacheState: () => verifier.cacheState(),
    /** Outcome and cache counters since start, for /metrics. */
    verifyStats: verifier.stats,
  };
}
