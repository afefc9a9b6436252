import {
  AppError,
  type Deployed,
  type DeployPreview,
  diffReleases,
  environmentNameError,
  literalValue,
  type Manifest,
  type Release,
  type ReleaseComparison,
  type ReleaseDiff,
  type ReleasedSecrets,
  STANDARD_ENVIRONMENTS,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx, Tx } from '../../store/db.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { recordAccess } from '../access-log/access-log.service.js';
import { type Actor, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import * as environmentsRepo from '../projects/environments.repo.js';
import type { EnvironmentsService } from '../projects/environments.service.js';
import type { ManifestsService } from '../projects/manifests.service.js';
import { invalidInput, isUniqueViolation, type ProjectsService } from '../projects/projects.service.js';
import { decryptResolved, decryptValue, encryptResolved } from '../secrets/crypto.js';
import type { Keyring } from '../secrets/keyring.js';
import { createReferenceResolver, type Resolved } from '../secrets/references.js';
import * as secretsRepo from '../secrets/secrets.repo.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import {
  authorOf,
  envRef,
  keyRef,
  type Place,
  placeOf,
  resolvedContext,
  valueContext,
} from '../secrets/shared.js';
import { releaseSide, undoneByDeploy, unknownRelease, workingSide } from './compare.js';
import { missingManifestSecrets, refuseMissingManifestSecrets } from './manifest-secrets.js';
import * as repo from './releases.repo.js';
import { diff, parseReleaseRef, toRelease } from './shape.js';

export type ReleasesService = ReturnType<typeof createReleasesService>;

export function createReleasesService(deps: {
  db: Db;
  clock: Clock;
  projects: Pick<ProjectsService, 'resolve'>;
  environments: Pick<EnvironmentsService, 'resolve' | 'createWithin'>;
  manifests: Pick<ManifestsService, 'push' | 'currentVersion'>;
  secrets: Pick<SecretsService, 'locate' | 'restoreWithin' | 'versionValue' | 'latestValue'>;
  keyring: Keyring;
}) {
  const { db, clock, projects, environments, manifests, secrets, keyring } = deps;
  const resolveRefs = createReferenceResolver({ keyring });

  /** The data key of `p`, or INTEGRITY_ERROR: stored values without their key are damage. */
  async function dataKey(tx: DbOrTx, p: Place): Promise<Buffer> {
    const key = await keyring.find(tx, keyRef(p), p.where);
    if (!key) {
      throw new AppError('INTEGRITY_ERROR', `${p.where} has stored values but no data key to open them.`, {
        hint: 'Restore the database from a backup.',
      });
    }
    return key;
  }

  /**
   * Every value of the working set with its references resolved, as `actor` may (a reference
   * needs secrets:read). Refuses cycles, missing names and forbidden references with the chain.
   */
  async function resolveWorking(
    tx: DbOrTx,
    actor: Actor,
    p: Place,
    rows: secretsRepo.SecretVersionRow[],
    doing: string,
  ): Promise<Map<string, Resolved>> {
    if (rows.length === 0) return new Map();
    const key = await dataKey(tx, p);
    const roots = new Map(
      rows.map((r) => [
        r.name,
        {
          value: decryptValue(key, r.ciphertext!, valueContext(p, r.name, r.version), p.where),
          version: r.version,
        },
      ]),
    );
    return resolveRefs(tx, actor, p, roots, doing);
  }

  /** An old release's resolved values, to carry into a rollback unchanged. */
  async function pinnedResolution(tx: DbOrTx, p: Place, releaseId: string): Promise<Map<string, Resolved>> {
    const out = new Map<string, Resolved>();
    const rows = (await repo.pinnedCiphertexts(tx, releaseId)).filter((r) => r.resolved);
    if (rows.length === 0) return out;
    const key = await dataKey(tx, p);
    for (const r of rows) {
      const value = decryptResolved(
        key,
        r.resolved!,
        { ...resolvedContext(p, releaseId), name: r.name },
        p.where,
      );
      out.set(r.name, { value, from: r.refs ?? [] });
    }
    return out;
  }

  /** Numbers the release, pins `pinned` and audits; the environment is locked by the caller. */
  async function release(
    tx: Tx,
    actor: Actor,
    p: Place,
    plainPins: repo.Pin[],
    /** Values whose references were resolved, by name; the others are pinned as stored. */
    resolution: Map<string, Resolved>,
    opts: {
      message: string | null;
      rollbackOf: number | null;
      manifestVersion: number | null;
      manifest: Manifest | null;
      created?: boolean;
      allowEmpty?: boolean;
    },
  ) {
    const previous = await repo.current(tx, p.env.id);
    const id = newId('rel');
    const withRefs = plainPins.filter((x) => (resolution.get(x.name)?.from.length ?? 0) > 0);
    const key = withRefs.length > 0 ? await keyring.obtain(tx, keyRef(p), p.where) : null;
    // Pinned encrypted, bound to this release: a later change to what they reference reaches nothing.
    const pinned = plainPins.map((x): repo.Pin => {
      const r = resolution.get(x.name);
      if (!r || r.from.length === 0 || !key) return { ...x, resolved: null, refs: null };
      const ctx = { ...resolvedContext(p, id), name: x.name };
      return { ...x, resolved: encryptResolved(key, r.value, ctx), refs: r.from };
    });
    const changes = diff(previous ? await repo.pins(tx, previous.id) : [], pinned);
    const full: ReleaseDiff = diffReleases(await releaseSide(tx, previous), {
      secrets: pinned,
      manifest: opts.manifest,
    });
    if (previous && full.empty && opts.allowEmpty === false) {
      // Thrown inside the transaction: a manifest pushed with this deploy is undone with it.
      throw new AppError(
        'CONFLICT',
        `Nothing to deploy: ${p.where} already runs this in v${previous.number}.`,
        {
          hint: 'Change a secret or latch.config first, or pass --allow-empty to make a release anyway.',
        },
      );
    }
    const row = await repo.insert(
      tx,
      {
        id,
        orgId: p.env.orgId,
        projectId: p.project.id,
        environmentId: p.env.id,
        number: (previous?.number ?? 0) + 1,
        message: opts.message,
        manifestVersion: opts.manifestVersion,
        rollbackOf: opts.rollbackOf,
        variables: pinned.length,
        ...authorOf(actor),
        createdAt: clock.now(),
      },
      pinned,
    );
    await recordAudit(tx, actor, {
      orgId: p.env.orgId,
      action: opts.rollbackOf ? 'release.rolled_back' : 'release.created',
      target: { type: 'release', id: row.id },
      data: {
        project: p.project.name,
        environment: p.env.name,
        number: row.number,
        variables: pinned.length,
        manifestVersion: opts.manifestVersion,
        ...changes,
        ...(opts.rollbackOf ? { rollbackOf: opts.rollbackOf } : {}),
        ...(opts.message ? { message: opts.message } : {}),
        ...(opts.created ? { environmentCreated: true } : {}),
      },
    });
    return { row, changes, diff: full };
  }

  async function deployOnce(
    actor: Actor,
    projectRef: string,
    envName: string,
    body: DeployInput,
  ): Promise<Deployed> {
    const project = await projects.resolve(actor, projectRef);
    return db.transaction(async (tx) => {
      let env = await environmentsRepo.findByRef(tx, project.id, envName);
      const created = !env;
      if (!env) {
        const error = environmentNameError(envName);
        if (error) throw invalidInput('env', error, `Common names: ${STANDARD_ENVIRONMENTS.join(', ')}.`);
        // SPEC 4: the first deploy creates the environment (deploy:write is enough for that).
        env = await environments.createWithin(tx, actor, project, envName);
      }
      const p = placeOf(project, env);
      await secretsRepo.lockEnvironment(tx, env.id);
      let manifestChanged = false;
      if (body.manifest)
        manifestChanged = (await manifests.push(actor, project.id, env.id, body.manifest, tx)).changed;
      const inForce = await manifests.currentVersion(env.id, tx);
      const manifestVersion = inForce?.version ?? null;
      const rows = await secretsRepo.current(tx, env.id, { valuesOnly: true });
      const pinned = rows.map((r) => ({ name: r.name, version: r.version, secretVersionId: r.id }));
      // Thrown inside the transaction: a manifest pushed with this deploy is undone too.
      refuseMissingManifestSecrets(inForce?.manifest, pinned, env.name);
      const resolution = await resolveWorking(tx, actor, p, rows, `deploy ${p.where}`);
      const made = await release(tx, actor, p, pinned, resolution, {
        message: body.message ?? null,
        rollbackOf: null,
        manifestVersion,
        manifest: inForce?.manifest ?? null,
        created,
        ...(body.allowEmpty === false ? { allowEmpty: false } : {}),
      });
      return {
        ...toRelease(made.row, env.name, true),
        environmentCreated: created,
        changes: made.changes,
        manifestChanged,
        diff: made.diff,
        restored: [],
      };
    });
  }

  return {
    /**
     * `latch deploy`: an immutable release pinning the newest version of every secret and the
     * access manifest in force (pushed first when given), numbered per environment.
     */
    async deploy(actor: Actor, projectRef: string, envName: string, body: DeployInput): Promise<Deployed> {
      requirePermission(actor, 'deploy:write');
      const name = envName.trim();
      try {
        return await deployOnce(actor, projectRef, name, body);
      } catch (err) {
        // Two first deploys at once: one created the environment; the other deploys into it.
        if (isUniqueViolation(err)) return deployOnce(actor, projectRef, name, body);
        throw err;
      }
    },

    /**
     * A new release with release `ref`'s contents (and manifest): history only grows. By default
     * the working set follows (each secret whose newest value differs from the old release's gets
     * a new version holding it), so the next routine deploy ships the rollback again rather than
     * undoing it. `releaseOnly` pins the old versions and leaves the working set as it is.
     */
    async rollback(
      actor: Actor,
      projectRef: string,
      envName: string,
      ref: string,
      opts: { releaseOnly?: boolean | undefined } = {},
    ): Promise<Deployed> {
      requirePermission(actor, 'deploy:manage');
      // Restoring writes secret versions, which is secrets:write's to allow.
      if (!opts.releaseOnly) {
        try {
          requirePermission(actor, 'secrets:write');
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          throw new AppError(err.code, err.message, {
            hint: 'Restoring the working set needs secrets:write; pass --release-only to make just the release.',
          });
        }
      }
      const target = parseReleaseRef(ref);
      const p = await secrets.locate(actor, projectRef, envName);
      return db.transaction(async (tx) => {
        await secretsRepo.lockEnvironment(tx, p.env.id);
        const old = await repo.byNumber(tx, p.env.id, target);
        if (!old) throw unknownRelease(p.where, p.env.name, target);
        const current = (await repo.current(tx, p.env.id))!;
        if (current.number === target) {
          throw new AppError('CONFLICT', `v${target} is already the current release of ${p.where}.`, {
            hint: `Run \`latch releases list --env ${p.env.name}\` and pick an older one.`,
          });
        }
        let manifestVersion = (await manifests.currentVersion(p.env.id, tx))?.version ?? null;
        let manifestChanged = false;
        if (old.manifestVersion !== null && old.manifestVersion !== manifestVersion) {
          const content = await repo.manifestAt(tx, p.env.id, old.manifestVersion);
          if (content) {
            const pushed = await manifests.push(actor, p.project.id, p.env.id, content, tx);
            manifestVersion = pushed.version;
            manifestChanged = pushed.changed;
          }
        }
        const oldPins = (await repo.pins(tx, old.id)).map(({ refs: _, ...pin }) => pin);
        // vN's contents include its resolved values, as they were: nothing is resolved again.
        const resolution = await pinnedResolution(tx, p, old.id);
        const restored: string[] = [];
        let pinned = oldPins;
        if (!opts.releaseOnly) {
          const wanted = new Map(oldPins.map((x) => [x.name, x]));
          const working = await secretsRepo.current(tx, p.env.id, { valuesOnly: true });
          for (const pin of oldPins) {
            const value = await secrets.versionValue(tx, p, pin.name, pin.version);
            if ((await secrets.latestValue(tx, p, pin.name)) === value) continue;
            await secrets.restoreWithin(tx, actor, p, pin.name, value, pin.version);
            restored.push(pin.name);
          }
          for (const row of working) {
            if (wanted.has(row.name)) continue;
            await secrets.restoreWithin(tx, actor, p, row.name, null, target);
            restored.push(row.name);
          }
          restored.sort();
          pinned = (await secretsRepo.current(tx, p.env.id, { valuesOnly: true })).map((r) => ({
            name: r.name,
            version: r.version,
            secretVersionId: r.id,
          }));
        }
        const inForce = await manifests.currentVersion(p.env.id, tx);
        const made = await release(tx, actor, p, pinned, resolution, {
          message: `Rollback to v${target}`,
          rollbackOf: target,
          manifestVersion,
          manifest: inForce?.manifest ?? null,
        });
        return {
          ...toRelease(made.row, p.env.name, true),
          environmentCreated: false,
          changes: made.changes,
          manifestChanged,
          diff: made.diff,
          restored,
        };
      });
    },

    /** What `deploy` with `manifest` would change against the live release; changes nothing. */
    async preview(
      actor: Actor,
      projectRef: string,
      envName: string,
      body: { manifest?: Record<string, unknown> | undefined },
    ): Promise<DeployPreview> {
      requirePermission(actor, 'deploy:read');
      const project = await projects.resolve(actor, projectRef);
      const name = envName.trim();
      const env = await environmentsRepo.findByRef(db, project.id, name);
      const live = env ? await repo.current(db, env.id) : null;
      const inForce = env ? ((await manifests.currentVersion(env.id))?.manifest ?? null) : null;
      const next = await workingSide(db, env?.id ?? null, body.manifest, inForce);
      // What the deploy would refuse, in its words, so `deploy --dry-run` can say so beforehand.
      const refusals: AppError[] = [];
      const missing = missingManifestSecrets(next.manifest, next.secrets, env?.name ?? name);
      if (missing) refusals.push(missing);
      if (env) {
        // With references resolved, a value that changed only through them shows as changed.
        // Best effort: what cannot be resolved compares by version, and the refusal says why.
        try {
          const p = placeOf(project, env);
          const resolution = await resolveWorking(db, actor, p, next.rows, `deploy ${p.where}`);
          next.secrets = next.secrets.map((x) => ({ ...x, refs: resolution.get(x.name)?.from ?? [] }));
        } catch (err) {
          if (!(err instanceof AppError) || err.code === 'INTEGRITY_ERROR' || err.code === 'INTERNAL')
            throw err;
          if (err.code.startsWith('REFERENCE_')) refusals.push(err);
        }
      }
      const d = diffReleases(await releaseSide(db, live), next);
      const touched = [...d.secrets.added, ...d.secrets.changed, ...d.secrets.removed].map((x) => x.name);
      const undoing = await undoneByDeploy(db, live, touched);
      return {
        environment: { name: env?.name ?? name, exists: Boolean(env) },
        live: live
          ? { number: live.number, rollbackOf: live.rollbackOf, createdAt: live.createdAt.toISOString() }
          : null,
        next: (live?.number ?? 0) + 1,
        diff: d,
        undoesRollback: undoing.length > 0 ? live!.rollbackOf : null,
        undoing,
        refusals: refusals.map((e) => ({
          code: e.code,
          message: e.message,
          ...(e.hint ? { hint: e.hint } : {}),
        })),
      };
    },

    /** `latch releases diff vA vB`: what changed from one release of an environment to another. */
    async compare(
      actor: Actor,
      projectRef: string,
      envName: string,
      query: { from: string; to: string },
    ): Promise<ReleaseComparison> {
      requirePermission(actor, 'deploy:read');
      const from = parseReleaseRef(query.from);
      const to = parseReleaseRef(query.to);
      const project = await projects.resolve(actor, projectRef);
      const env = await environments.resolve(actor, project.id, envName);
      const where = `${project.name}/${env.name}`;
      const a = await repo.byNumber(db, env.id, from);
      if (!a) throw unknownRelease(where, env.name, from);
      const b = await repo.byNumber(db, env.id, to);
      if (!b) throw unknownRelease(where, env.name, to);
      return {
        environment: { id: env.id, name: env.name },
        from,
        to,
        diff: diffReleases(await releaseSide(db, a), await releaseSide(db, b)),
      };
    },

    async list(
      actor: Actor,
      projectRef: string,
      query: { env?: string | undefined; limit: number; cursor?: string | undefined },
    ): Promise<Page<Release>> {
      requirePermission(actor, 'deploy:read');
      const project = await projects.resolve(actor, projectRef);
      const envId = query.env ? (await environments.resolve(actor, project.id, query.env)).id : null;
      const rows = await repo.list(db, project.id, envId, query.limit, decodeCursor(query.cursor));
      const newest = await repo.newestNumbers(db, [...new Set(rows.map((r) => r.release.environmentId))]);
      return toPage(
        rows,
        query.limit,
        (r) =>
          toRelease(r.release, r.environmentName, newest.get(r.release.environmentId) === r.release.number),
        (r) => ({ at: r.release.createdAt, id: r.release.id }),
      );
    },

    /**
     * The values `latch run`, `latch secrets export` and the SDK's loadSecrets() use: the current
     * release's pinned versions, or with `latest` the newest version of each name. Recorded in the
     * access log (which release and which names; never the values).
     */
    async released(
      actor: Actor,
      projectRef: string,
      envName: string,
      opts: { latest: boolean },
    ): Promise<ReleasedSecrets> {
      const org = requirePermission(actor, 'secrets:read');
      const p = await secrets.locate(actor, projectRef, envName);
      const current = await repo.current(db, p.env.id);
      if (!opts.latest && !current) {
        throw new AppError('NOT_FOUND', `${p.where} has no release yet, so nothing runs with its secrets.`, {
          hint: `Run \`latch deploy --env ${p.env.name}\` to make v1, or add --latest to use the newest values.`,
        });
      }
      const values: Record<string, string> = {};
      const referenced = new Set<string>();
      let names: string[];
      if (opts.latest) {
        // What the next deploy would pin: resolved now, with this reader's permissions.
        const rows = await secretsRepo.current(db, p.env.id, { valuesOnly: true });
        names = rows.map((r) => r.name);
        const resolution = await resolveWorking(db, actor, p, rows, `read the newest values of ${p.where}`);
        for (const [name, r] of resolution) {
          values[name] = r.value;
          for (const f of r.from)
            referenced.add(f.environment === p.env.name ? f.name : `${f.environment}.${f.name}`);
        }
      } else {
        const rows = await repo.pinnedCiphertexts(db, current!.id);
        names = rows.map((r) => r.name);
        const key = rows.length > 0 ? await dataKey(db, p) : null;
        for (const r of rows) {
          // A value with references is read as resolved when the release was made (pinned).
          values[r.name] = r.resolved
            ? decryptResolved(key!, r.resolved, { ...resolvedContext(p, current!.id), name: r.name }, p.where)
            : // Pinned as stored (no references): only its `$${` escapes are read as `${`.
              literalValue(decryptValue(key!, r.ciphertext!, valueContext(p, r.name, r.version), p.where));
          for (const f of r.refs ?? [])
            referenced.add(f.environment === p.env.name ? f.name : `${f.environment}.${f.name}`);
        }
      }
      // Before answering: no value leaves without its access entry (recordAccess says why).
      await recordAccess(db, clock, actor, {
        orgId: org.id,
        action: 'secrets.released',
        project: p.project.name,
        environment: p.env.name,
        // The referenced secrets' values went into the answer too (names only).
        names: [...names, ...[...referenced].filter((n) => !names.includes(n)).sort()],
        data: {
          source: opts.latest ? 'latest' : 'release',
          release: opts.latest ? null : current!.number,
          count: names.length,
        },
      });
      return {
        environment: envRef(p),
        source: opts.latest ? 'latest' : 'release',
        release:
          current && !opts.latest
            ? {
                number: current.number,
                createdAt: current.createdAt.toISOString(),
                rollbackOf: current.rollbackOf,
              }
            : null,
        values,
      };
    },
  };
}

export type DeployInput = {
  message?: string | undefined;
  manifest?: Record<string, unknown> | undefined;
  allowEmpty?: boolean | undefined;
};
