import {
  AppError,
  can,
  hasReferences,
  literalValue,
  MASKED_VALUE,
  type SecretHistory,
  type SecretList,
  type SecretStatus,
  type SecretValue,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { recordAccess } from '../access-log/access-log.service.js';
import { type Actor, requirePermission } from '../actor.js';
import * as releasesRepo from '../releases/releases.repo.js';
import { decryptValue } from './crypto.js';
import type { Keyring } from './keyring.js';
import { createReferenceResolver } from './references.js';
import * as repo from './secrets.repo.js';
import type { SecretsService } from './secrets.service.js';
import { checkName, envRef, isUnset, keyRef, type Place, secretNotFound, valueContext } from './shared.js';

/** Names page by name: the cursor is the last name of the previous page. */
function decodeNameCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
    throw new AppError('INVALID_INPUT', 'The cursor is not valid.', {
      hint: 'Pass back the nextCursor value of a previous page unchanged.',
    });
  }
  return name;
}

/** Reads: list (names for anyone who sees the environment), value, history. */
export function createSecretsReadService({
  db,
  clock,
  keyring,
  secrets,
}: {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  secrets: Pick<SecretsService, 'locate'>;
}) {
  const resolveRefs = createReferenceResolver({ keyring });

  /** A value, or INTEGRITY_ERROR: a stored value whose environment lost its data key is damage. */
  async function decrypt(tx: DbOrTx, p: Place, row: repo.SecretVersionRow): Promise<string> {
    const key = await keyring.find(tx, keyRef(p), p.where);
    if (!key || !row.ciphertext) {
      throw new AppError('INTEGRITY_ERROR', `${p.where} has stored values but no data key to open them.`, {
        hint: 'Restore the database from a backup.',
      });
    }
    return decryptValue(key, row.ciphertext, valueContext(p, row.name, row.version), p.where);
  }

  return {
    /**
     * Names, with each one's state against the current release. Versions, authors and the mask
     * need secrets:read: a viewer sees names only.
     */
    async list(
      actor: Actor,
      projectRef: string,
      envName: string,
      query: { limit: number; cursor?: string | undefined },
    ): Promise<SecretList> {
      const org = requirePermission(actor, 'environments:read');
      const detailed = can(org.permissions, 'secrets:read');
      const p = await secrets.locate(actor, projectRef, envName);
      const rows = await repo.current(db, p.env.id, {
        after: decodeNameCursor(query.cursor),
        limit: query.limit + 1,
      });
      const more = rows.length > query.limit;
      const page = rows.slice(0, query.limit);
      const release = await releasesRepo.current(db, p.env.id);
      const pinned = new Map(
        (release ? await releasesRepo.pins(db, release.id) : []).map((x) => [x.name, x.version]),
      );
      const items = page
        // An unset that the current release no longer carries is simply gone.
        .filter((r) => !isUnset(r) || pinned.has(r.name))
        .map((r) => {
          const released = pinned.get(r.name) ?? null;
          const status: SecretStatus = isUnset(r)
            ? 'pending_removal'
            : released === r.version
              ? 'live'
              : 'pending';
          return {
            name: r.name,
            status,
            managed: r.managed,
            version: detailed ? r.version : null,
            releasedVersion: detailed ? released : null,
            masked: detailed && !isUnset(r) ? MASKED_VALUE : null,
            updatedAt: detailed ? r.createdAt.toISOString() : null,
            updatedBy: detailed ? r.createdByLabel : null,
          };
        });
      const last = page.at(-1);
      return {
        items,
        nextCursor: more && last ? Buffer.from(last.name).toString('base64url') : null,
        environment: envRef(p),
        release: release
          ? {
              number: release.number,
              createdAt: release.createdAt.toISOString(),
              rollbackOf: release.rollbackOf,
            }
          : null,
      };
    },

    /** One value (newest, or `version`); the read is in the access log, the value never is. */
    async get(
      actor: Actor,
      projectRef: string,
      envName: string,
      rawName: string,
      opts: { version?: number | undefined; raw?: 'true' | 'false' | undefined } = {},
    ): Promise<SecretValue> {
      const org = requirePermission(actor, 'secrets:read');
      const p = await secrets.locate(actor, projectRef, envName);
      const name = checkName(rawName);
      const row = opts.version
        ? await repo.byVersion(db, p.env.id, name, opts.version)
        : await repo.latest(db, p.env.id, name);
      if (!row || isUnset(row)) {
        if (opts.version && !row) {
          throw new AppError('NOT_FOUND', `${name} in ${p.where} has no version ${opts.version}.`, {
            hint: `Run \`latch secrets history ${name} --env ${p.env.name}\` to see its versions.`,
          });
        }
        throw secretNotFound(name, p, row?.version);
      }
      const stored = await decrypt(db, p, row);
      let value = opts.raw === 'true' ? stored : literalValue(stored);
      let references: string[] = [];
      // Resolved against the newest values (what the next deploy would pin); raw=true shows it as stored.
      if (opts.raw !== 'true' && hasReferences(stored)) {
        const roots = new Map([[name, { value: stored, version: row.version }]]);
        const resolved = (
          await resolveRefs(db, actor, p, roots, `show ${name} resolved (--raw shows it as stored)`)
        ).get(name)!;
        value = resolved.value;
        references = resolved.from.map((f) =>
          f.environment === p.env.name ? f.name : `${f.environment}.${f.name}`,
        );
      }
      await recordAccess(db, clock, actor, {
        orgId: org.id,
        action: 'secret.read',
        project: p.project.name,
        environment: p.env.name,
        // The referenced secrets' values were read too.
        names: [name, ...references],
        data: { version: row.version, ...(opts.raw === 'true' ? { raw: true } : {}) },
      });
      return {
        name,
        version: row.version,
        value,
        references,
        managed: row.managed,
        environment: envRef(p),
        updatedAt: row.createdAt.toISOString(),
        updatedBy: row.createdByLabel,
      };
    },

    async history(
      actor: Actor,
      projectRef: string,
      envName: string,
      rawName: string,
      query: { reveal?: boolean; limit: number; cursor?: string | undefined },
    ): Promise<SecretHistory> {
      const org = requirePermission(actor, 'secrets:read');
      const p = await secrets.locate(actor, projectRef, envName);
      const name = checkName(rawName);
      const before = query.cursor ? Number(Buffer.from(query.cursor, 'base64url').toString('utf8')) : null;
      if (before !== null && !Number.isInteger(before)) {
        throw new AppError('INVALID_INPUT', 'The cursor is not valid.', {
          hint: 'Pass back the nextCursor value of a previous page unchanged.',
        });
      }
      const rows = await repo.history(db, p.env.id, name, before, query.limit);
      if (rows.length === 0 && before === null) throw secretNotFound(name, p);
      const page = rows.slice(0, query.limit);
      const pins = await repo.pinningReleases(
        db,
        page.map((r) => r.id),
      );
      const items = [];
      for (const r of page) {
        items.push({
          version: r.version,
          action: r.action,
          rolledBackTo: r.rolledBackTo,
          createdAt: r.createdAt.toISOString(),
          createdBy: r.createdByLabel,
          releases: pins.get(r.id) ?? [],
          ...(query.reveal ? { value: isUnset(r) ? null : await decrypt(db, p, r) } : {}),
        });
      }
      if (query.reveal && page.length > 0) {
        await recordAccess(db, clock, actor, {
          orgId: org.id,
          action: 'secret.history_revealed',
          project: p.project.name,
          environment: p.env.name,
          names: [name],
          data: { versions: page.map((r) => r.version) },
        });
      }
      const last = page.at(-1);
      return {
        name,
        environment: envRef(p),
        items,
        nextCursor:
          rows.length > query.limit && last ? Buffer.from(String(last.version)).toString('base64url') : null,
      };
    },
  };
}
