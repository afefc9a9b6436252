import { AppError, type PromotedSecrets, type SecretsComparison } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { recordAccess } from '../access-log/access-log.service.js';
import { type Actor, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import { decryptValue } from './crypto.js';
import type { Keyring } from './keyring.js';
import * as repo from './secrets.repo.js';
import type { SecretsService } from './secrets.service.js';
import { checkName, envRef, keyRef, type Place, valueContext } from './shared.js';

/**
 * Environments side by side: `latch secrets diff` and `latch env promote`. Values are compared
 * inside the server; they leave it only with reveal=true, and that read is recorded in the access log.
 */
export function createSecretsCompareService({
  db,
  clock,
  keyring,
  secrets,
}: {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  secrets: Pick<SecretsService, 'locate' | 'setWithin' | 'checkReferencesWithin'>;
}) {
  /** The newest value of every secret that has one, by name. */
  async function values(tx: DbOrTx, p: Place): Promise<Map<string, string>> {
    const rows = await repo.current(tx, p.env.id, { valuesOnly: true });
    const out = new Map<string, string>();
    if (rows.length === 0) return out;
    const key = await keyring.find(tx, keyRef(p), p.where);
    if (!key) {
      throw new AppError('INTEGRITY_ERROR', `${p.where} has stored values but no data key to open them.`, {
        hint: 'Restore the database from a backup.',
      });
    }
    for (const r of rows)
      out.set(r.name, decryptValue(key, r.ciphertext!, valueContext(p, r.name, r.version), p.where));
    return out;
  }

  return {
    async compare(
      actor: Actor,
      projectRef: string,
      query: { from: string; to: string; reveal?: 'true' | 'false' | undefined },
    ): Promise<SecretsComparison> {
      const org = requirePermission(actor, 'secrets:read');
      const a = await secrets.locate(actor, projectRef, query.from);
      const b = await secrets.locate(actor, projectRef, query.to);
      const reveal = query.reveal === 'true';
      const [va, vb] = [await values(db, a), await values(db, b)];
      const names = [...new Set([...va.keys(), ...vb.keys()])].sort();
      const out: SecretsComparison = {
        from: envRef(a),
        to: envRef(b),
        onlyInFrom: names.filter((n) => !vb.has(n)),
        onlyInTo: names.filter((n) => !va.has(n)),
        different: names
          .filter((n) => va.has(n) && vb.has(n) && va.get(n) !== vb.get(n))
          .map((name) => (reveal ? { name, from: va.get(name)!, to: vb.get(name)! } : { name })),
        same: names.filter((n) => va.has(n) && va.get(n) === vb.get(n)),
        revealed: reveal,
      };
      if (reveal) {
        // The access log: who saw which values of which environments (names, never the values).
        await recordAccess(db, clock, actor, {
          orgId: org.id,
          action: 'secrets.diff_revealed',
          project: a.project.name,
          environment: b.env.name,
          names: out.different.map((d: { name: string }) => d.name),
          data: { from: a.env.name },
        });
      }
      return out;
    },

    /** Copies `from`'s values (all, or `names`) into this environment as new versions; no deploy. */
    async promote(
      actor: Actor,
      projectRef: string,
      envName: string,
      body: { from: string; names?: string[] | undefined; dryRun?: boolean | undefined },
    ): Promise<PromotedSecrets> {
      const org = requirePermission(actor, 'secrets:write');
      requirePermission(actor, 'secrets:read');
      const source = await secrets.locate(actor, projectRef, body.from);
      const target = await secrets.locate(actor, projectRef, envName);
      if (source.env.id === target.env.id) {
        throw new AppError(
          'INVALID_INPUT',
          `Promote copies between two environments; both are ${target.where}.`,
          {
            hint: 'Example: latch env promote staging production',
          },
        );
      }
      const dryRun = Boolean(body.dryRun);
      return db.transaction(async (tx) => {
        await repo.lockEnvironment(tx, target.env.id);
        const from = await values(tx, source);
        const to = await values(tx, target);
        const wanted = body.names?.map((n) => checkName(n)) ?? [...from.keys()].sort();
        const missing = wanted.filter((n) => !from.has(n));
        if (missing.length) {
          throw new AppError('NOT_FOUND', `${source.where} has no ${missing.join(', ')}.`, {
            hint: `Run \`latch secrets list --env ${source.env.name}\` to see its names.`,
          });
        }
        const result: PromotedSecrets = {
          environment: envRef(target),
          from: envRef(source),
          added: [],
          changed: [],
          unchanged: [],
          dryRun,
        };
        // References resolve in the target: all promoted values are checked together, before any write.
        await secrets.checkReferencesWithin(tx, actor, target, new Map(wanted.map((n) => [n, from.get(n)!])));
        for (const name of wanted) {
          const value = from.get(name)!;
          if (to.get(name) === value) {
            result.unchanged.push(name);
            continue;
          }
          (to.has(name) ? result.changed : result.added).push(name);
          if (!dryRun) await secrets.setWithin(tx, actor, target, name, value);
        }
        if (!dryRun && result.added.length + result.changed.length > 0) {
          await recordAudit(tx, actor, {
            orgId: org.id,
            action: 'secrets.promoted',
            target: { type: 'environment', id: target.env.id },
            data: {
              project: target.project.name,
              environment: target.env.name,
              from: source.env.name,
              added: result.added,
              changed: result.changed,
            },
          });
        }
        return result;
      });
    },
  };
}
