import {
  AppError,
  hasReferences,
  type ImportedSecrets,
  parseDotenv,
  type SecretChange,
  secretValueError,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { secretVersions } from '../../store/schema.js';
import { type Actor, requirePermission } from '../actor.js';
import { recordAudit, recordAuditWithChange } from '../audit/audit.service.js';
import type { EnvironmentsService } from '../projects/environments.service.js';
import type { ProjectsService } from '../projects/projects.service.js';
import { decryptValue, encryptValue } from './crypto.js';
import type { Keyring } from './keyring.js';
import { createReferenceResolver } from './references.js';
import * as repo from './secrets.repo.js';
import {
  authorOf,
  checkName,
  envRef,
  isUnset,
  keyRef,
  managedSecret,
  type Place,
  placeOf,
  secretNotFound,
  valueContext,
} from './shared.js';

type Action = SecretChange['action'];
export type SecretsService = ReturnType<typeof createSecretsService>;
export type SecretsDeps = {
  db: Db;
  clock: Clock;
  projects: Pick<ProjectsService, 'resolve'>;
  environments: Pick<EnvironmentsService, 'resolve'>;
  keyring: Keyring;
};

function checkValue(name: string, value: string): void {
  const error = secretValueError(value);
  if (error) {
    throw new AppError('INVALID_INPUT', `value of ${name}: ${error}.`, {
      hint: 'Secret values are at most 64 KiB; keep larger files elsewhere and store their location.',
      details: { issues: [{ path: 'value', message: error }] },
    });
  }
}

/** Writes: set, unset, roll back, import. Reads live in secrets-read.service.ts. */
export function createSecretsService({ db, clock, projects, environments, keyring }: SecretsDeps) {
  const resolveRefs = createReferenceResolver({ keyring });

  /**
   * Refuses values whose references cannot be resolved now (a cycle, a missing name, one the
   * actor may not read), before anything is written. A deploy checks again: what is referenced
   * can change in between.
   */
  async function checkReferences(tx: DbOrTx, actor: Actor, p: Place, values: Map<string, string>) {
    if (![...values.values()].some(hasReferences)) return;
    const roots = new Map([...values].map(([name, value]) => [name, { value, version: 0 }]));
    const names = [...values.keys()];
    const doing = names.length === 1 ? `set ${names[0]}` : `import into ${p.where}`;
    await resolveRefs(tx, actor, p, roots, doing);
  }
  async function locate(actor: Actor, projectRef: string, envName: string, tx: DbOrTx = db): Promise<Place> {
    const project = await projects.resolve(actor, projectRef, tx);
    return placeOf(project, await environments.resolve(actor, project.id, envName, tx));
  }

  /** Plaintext of a stored version, for comparisons and rollbacks inside the server only. */
  async function plaintext(tx: DbOrTx, p: Place, row: repo.SecretVersionRow): Promise<string | null> {
    if (!row.ciphertext) return null;
    const key = await keyring.obtain(tx, keyRef(p), p.where);
    return decryptValue(key, row.ciphertext, valueContext(p, row.name, row.version), p.where);
  }

  function auditOf(p: Place, name: string, version: number, action: Action, rolledBackTo?: number) {
    return {
      orgId: p.env.orgId,
      action: `secret.${action === 'rollback' ? 'rolled_back' : action === 'managed' ? 'managed_set' : action}`,
      target: { type: 'secret', id: `${p.env.id}:${name}` },
      data: {
        project: p.project.name,
        environment: p.env.name,
        name,
        version,
        ...(rolledBackTo ? { rolledBackTo } : {}),
      },
    };
  }

  function newRow(
    actor: Actor,
    p: Place,
    name: string,
    version: number,
    ciphertext: Buffer | null,
    action: Action,
  ) {
    return {
      id: newId('sv'),
      orgId: p.env.orgId,
      projectId: p.project.id,
      environmentId: p.env.id,
      name,
      version,
      ciphertext,
      action,
      managed: action === 'managed',
      ...authorOf(actor),
      createdAt: clock.now(),
    };
  }

  /**
   * The next version of `name` holding `value` (null = unset), ready to insert: read, checked
   * and encrypted, but not written. `done` instead when there is nothing to write (setting the
   * current value again makes no version and no audit entry). write() calls it under the
   * environment's lock, setUnlocked() without one.
   */
  async function nextVersion(
    db: DbOrTx,
    actor: Actor,
    p: Place,
    name: string,
    value: string | null,
    action: Action,
    extra: { rolledBackTo?: number; checkReferences?: boolean },
  ): Promise<{ done: SecretChange } | { row: repo.SecretVersionRow; change: SecretChange }> {
    const { latest: prev, managed } = await repo.latestForWrite(db, p.env.id, name);
    if (action !== 'managed' && managed) throw managedSecret(name, p);
    const before = prev ? await plaintext(db, p, prev) : null;
    if (prev && value !== null && before === value && action === 'set')
      return { done: { name, version: prev.version, action, environment: envRef(p), unchanged: true } };
    if (value !== null && extra.checkReferences)
      await checkReferences(db, actor, p, new Map([[name, value]]));
    const version = (prev?.version ?? 0) + 1;
    const key = value === null ? null : await keyring.obtain(db, keyRef(p), p.where);
    const ciphertext =
      key && value !== null ? encryptValue(key, value, valueContext(p, name, version)) : null;
    return {
      row: {
        ...newRow(actor, p, name, version, ciphertext, action),
        rolledBackTo: extra.rolledBackTo ?? null,
      },
      change: { name, version, action, environment: envRef(p), unchanged: before === value },
    };
  }

  /** One new version of `name` (value null = unset), audited, in the caller's transaction. */
  async function write(
    tx: DbOrTx,
    actor: Actor,
    p: Place,
    name: string,
    value: string | null,
    action: Action,
    extra: { rolledBackTo?: number; checkReferences?: boolean } = {},
  ): Promise<SecretChange> {
    await repo.lockEnvironment(tx, p.env.id);
    const next = await nextVersion(tx, actor, p, name, value, action, extra);
    if ('done' in next) return next.done;
    // The version, its audit row and its secret.changed event (if an endpoint wants it) are one
    // statement: one round trip inside the environment's lock.
    const insert = repo.insertStatement(tx, next.row);
    const audit = auditOf(p, name, next.change.version, action, extra.rolledBackTo);
    await recordAudit(tx, actor, audit, insert);
    return next.change;
  }

  /**
   * `set` without a transaction, in two round trips where write() takes five: the newest version
   * is read unlocked, and the next one, its audit row and its secret.changed event are written by
   * one statement that takes the environment's lock and writes nothing if another writer took
   * that version number in between (repo.insertUnlessTaken). Null then: the caller falls back to
   * write() in a transaction, under the lock. A concurrent writer the read missed is thus either
   * caught by the version number or, for an unchanged value, a no-op ordered before that writer;
   * references are checked unlocked as in write() (a deploy checks them again).
   */
  async function setUnlocked(
    actor: Actor,
    p: Place,
    name: string,
    value: string,
  ): Promise<SecretChange | null> {
    const next = await nextVersion(db, actor, p, name, value, 'set', { checkReferences: true });
    if ('done' in next) return next.done;
    const audit = auditOf(p, name, next.change.version, 'set');
    const written = await recordAuditWithChange(db, actor, audit, (guard) =>
      repo.insertUnlessTaken(next.row, guard),
    );
    return written ? next.change : null;
  }

  return {
    locate,

    async set(
      actor: Actor,
      projectRef: string,
      envName: string,
      rawName: string,
      value: string,
    ): Promise<SecretChange> {
      requirePermission(actor, 'secrets:write');
      const p = await locate(actor, projectRef, envName);
      const name = checkName(rawName);
      checkValue(name, value);
      return (
        (await setUnlocked(actor, p, name, value)) ??
        db.transaction((tx) => write(tx, actor, p, name, value, 'set', { checkReferences: true }))
      );
    },

    async unset(actor: Actor, projectRef: string, envName: string, rawName: string): Promise<SecretChange> {
      requirePermission(actor, 'secrets:write');
      const p = await locate(actor, projectRef, envName);
      const name = checkName(rawName);
      return db.transaction(async (tx) => {
        await repo.lockEnvironment(tx, p.env.id);
        const prev = await repo.latest(tx, p.env.id, name);
        if (!prev || isUnset(prev)) throw secretNotFound(name, p, prev?.version);
        return write(tx, actor, p, name, null, 'unset');
      });
    },

    /** A new version holding version `target`'s value: history only grows. */
    async rollback(actor: Actor, projectRef: string, envName: string, rawName: string, target: number) {
      requirePermission(actor, 'secrets:write');
      const p = await locate(actor, projectRef, envName);
      const name = checkName(rawName);
      return db.transaction(async (tx) => {
        await repo.lockEnvironment(tx, p.env.id);
        const old = await repo.byVersion(tx, p.env.id, name, target);
        const latest = await repo.latest(tx, p.env.id, name);
        if (!old || !latest) {
          throw new AppError('NOT_FOUND', `${name} in ${p.where} has no version ${target}.`, {
            hint: `Run \`latch secrets history ${name} --env ${p.env.name}\` to see its versions.`,
          });
        }
        if (isUnset(old)) {
          throw new AppError(
            'INVALID_INPUT',
            `Version ${target} of ${name} is an unset; it has no value to roll back to.`,
            {
              hint: `Pick a version with a value (\`latch secrets history ${name}\`), or unset it with \`latch secrets unset ${name}\`.`,
            },
          );
        }
        if (latest.version === target) {
          throw new AppError('CONFLICT', `${name} in ${p.where} is already at version ${target}.`, {
            hint: `Run \`latch secrets history ${name} --env ${p.env.name}\` to pick an older version.`,
          });
        }
        const value = await plaintext(tx, p, old);
        return write(tx, actor, p, name, value, 'rollback', { rolledBackTo: target, checkReferences: true });
      });
    },

    /**
     * Imports .env text: every line is checked first (all problems reported with their line
     * numbers, nothing written); then only new and changed values get a new version, all in one
     * transaction.
     */
    async import(
      actor: Actor,
      projectRef: string,
      envName: string,
      input: { content: string; dryRun?: boolean | undefined },
    ): Promise<ImportedSecrets> {
      requirePermission(actor, 'secrets:write');
      const p = await locate(actor, projectRef, envName);
      const parsed = parseDotenv(input.content);
      if (parsed.issues.length > 0) throw badDotenv(parsed.issues);
      if (parsed.entries.length === 0) {
        throw new AppError('INVALID_INPUT', 'The .env content holds no NAME=value lines.', {
          hint: 'Each line is NAME=value; # starts a comment.',
        });
      }
      const dryRun = Boolean(input.dryRun);
      return db.transaction(async (tx) => {
        await repo.lockEnvironment(tx, p.env.id);
        const current = new Map((await repo.current(tx, p.env.id)).map((r) => [r.name, r]));
        const result: ImportedSecrets = {
          environment: envRef(p),
          added: [],
          changed: [],
          unchanged: [],
          dryRun,
        };
        const rows = [];
        const managed = [];
        for (const entry of parsed.entries) {
          const prev = current.get(entry.name);
          if (prev?.managed)
            managed.push({ line: entry.line, message: managedSecret(entry.name, p).message });
          const before = prev ? await plaintext(tx, p, prev) : null;
          if (before === entry.value) {
            result.unchanged.push(entry.name);
            continue;
          }
          (before === null ? result.added : result.changed).push(entry.name);
          if (dryRun) continue;
          const version = (prev?.version ?? 0) + 1;
          const key = await keyring.obtain(tx, keyRef(p), p.where);
          const ciphertext = encryptValue(key, entry.value, valueContext(p, entry.name, version));
          rows.push(newRow(actor, p, entry.name, version, ciphertext, 'import'));
        }
        if (managed.length > 0) throw badDotenv(managed);
        // Checked together: an imported value may reference another line of the same file.
        await checkReferences(tx, actor, p, new Map(parsed.entries.map((e) => [e.name, e.value])));
        if (rows.length > 0) {
          // In chunks of 500 rows; the last is written by the audit append itself (recordAudit).
          const last = Math.floor((rows.length - 1) / 500) * 500;
          for (let i = 0; i < last; i += 500) await tx.insert(secretVersions).values(rows.slice(i, i + 500));
          await recordAudit(
            tx,
            actor,
            {
              orgId: p.env.orgId,
              action: 'secrets.imported',
              target: { type: 'environment', id: p.env.id },
              data: {
                project: p.project.name,
                environment: p.env.name,
                added: result.added,
                changed: result.changed,
              },
            },
            tx.insert(secretVersions).values(rows.slice(last)).getSQL(),
          );
        }
        return result;
      });
    },

    /**
     * A value Latchkey keeps for the environment (the environment database's DATABASE_URL), in
     * the caller's transaction; users cannot change it afterwards.
     */
    /**
     * A release rollback restoring the working set: `name` becomes `value` (null: unset) as a new
     * version marked as rolled back to `rolledBackTo`, in the rollback's transaction.
     */
    restoreWithin(
      tx: DbOrTx,
      actor: Actor,
      p: Place,
      name: string,
      value: string | null,
      rolledBackTo: number,
    ): Promise<SecretChange> {
      return write(tx, actor, p, name, value, value === null ? 'unset' : 'rollback', { rolledBackTo });
    },

    /**
     * A set inside the caller's transaction (env promote); a managed secret is refused as usual.
     * References are not checked here: the caller checks its whole batch first.
     */
    setWithin(tx: DbOrTx, actor: Actor, p: Place, name: string, value: string): Promise<SecretChange> {
      checkValue(name, value);
      return write(tx, actor, p, name, value, 'set');
    },

    /** The set-time reference check for several values at once (env promote, before its writes). */
    checkReferencesWithin(tx: DbOrTx, actor: Actor, p: Place, values: Map<string, string>): Promise<void> {
      return checkReferences(tx, actor, p, values);
    },

    /** The plaintext of `name`'s newest version (null when unset or never set), server-side only. */
    async latestValue(tx: DbOrTx, p: Place, name: string): Promise<string | null> {
      const row = await repo.latest(tx, p.env.id, name);
      return row ? plaintext(tx, p, row) : null;
    },

    /** The plaintext of a pinned version, server-side only. */
    async versionValue(tx: DbOrTx, p: Place, name: string, version: number): Promise<string | null> {
      const row = await repo.byVersion(tx, p.env.id, name, version);
      return row ? plaintext(tx, p, row) : null;
    },

    writeManaged(tx: DbOrTx, actor: Actor, p: Place, name: string, value: string): Promise<SecretChange> {
      return write(tx, actor, p, name, value, 'managed');
    },
  };
}

function badDotenv(issues: { line: number; message: string }[]): AppError {
  const shown = issues
    .slice(0, 5)
    .map((i) => `line ${i.line}: ${i.message}`)
    .join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new AppError(
    'INVALID_INPUT',
    `The .env content has ${issues.length} problem${issues.length === 1 ? '' : 's'}: ${shown}${more}. Nothing was imported.`,
    {
      hint: 'Fix those lines and import again; names are UPPER_SNAKE_CASE and values at most 64 KiB.',
      details: { issues: issues.map((i) => ({ path: `line ${i.line}`, line: i.line, message: i.message })) },
    },
  );
}
