import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { environmentKeys, serverMeta } from '../../store/schema.js';
import { recordAudit } from '../audit/audit.service.js';
import { SECRET_LABEL } from '../effects/worker.js';
import {
  masterKeyCheck,
  masterKeyId,
  openUnderMasterKey,
  sameCheck,
  sealUnderMasterKey,
  unwrapDataKey,
  wrapDataKey,
} from './crypto.js';

export const MASTER_KEY_CHECK = 'master_key_check';

export type MasterKeyCheckResult = 'stored' | 'matches' | 'mismatch';

/**
 * Start-up: does the master key match the one this database's data keys are wrapped with?
 * 'unset' while nothing was ever encrypted: the first data key pins the key (keyring.obtain).
 */
export async function verifyMasterKey(
  db: DbOrTx,
  masterKey: Buffer,
): Promise<'unset' | 'matches' | 'mismatch'> {
  const [row] = await db
    .select({ value: serverMeta.value })
    .from(serverMeta)
    .where(eq(serverMeta.key, MASTER_KEY_CHECK));
  if (!row) return 'unset';
  return sameCheck(row.value, masterKeyCheck(masterKey)) ? 'matches' : 'mismatch';
}

/**
 * Compares the master key with the stored check, storing it when there is none yet (the first
 * data key of the database is being made). `lock: 'share'` holds the row until the transaction ends, so a rotation cannot commit
 * in between (a new data key is never wrapped with a key that was just retired).
 */
export async function compareMasterKey(
  db: DbOrTx,
  masterKey: Buffer,
  opts: { lock?: 'share' } = {},
): Promise<MasterKeyCheckResult> {
  const mine = masterKeyCheck(masterKey);
  const inserted = await db
    .insert(serverMeta)
    .values({ key: MASTER_KEY_CHECK, value: mine })
    .onConflictDoNothing()
    .returning({ key: serverMeta.key });
  if (inserted.length > 0) return 'stored';
  const query = db
    .select({ value: serverMeta.value })
    .from(serverMeta)
    .where(eq(serverMeta.key, MASTER_KEY_CHECK));
  const [row] = opts.lock === 'share' ? await query.for('share') : await query;
  return row && sameCheck(row.value, mine) ? 'matches' : 'mismatch';
}

export class MasterKeyMismatch extends Error {
  override readonly name = 'MasterKeyMismatch';
}

/**
 * Re-wraps every environment's data key from `oldKey` to `newKey` in one transaction and replaces
 * the stored check, so afterwards the old key opens nothing in this database. Values are not
 * touched: their data keys stay the same, which is also why a running server, holding unwrapped
 * data keys in memory, keeps serving throughout.
 */
export async function rotateMasterKey(
  db: { transaction: DbOrTx['transaction'] },
  oldKey: Buffer,
  newKey: Buffer,
  now: Date = new Date(),
): Promise<{ rewrapped: number; webhookSecrets: number }> {
  return db.transaction(async (tx) => {
    // FOR UPDATE: waits for transactions creating data keys (they hold it FOR SHARE) and blocks new ones.
    const [row] = await tx
      .select({ value: serverMeta.value })
      .from(serverMeta)
      .where(eq(serverMeta.key, MASTER_KEY_CHECK))
      .for('update');
    if (row && !sameCheck(row.value, masterKeyCheck(oldKey))) {
      throw new MasterKeyMismatch('the current master key is not the one this database was encrypted with');
    }
    const rows = await tx.select().from(environmentKeys).for('update');
    for (const r of rows) {
      const ctx = { orgId: r.orgId, environmentId: r.environmentId };
      const dataKey = unwrapDataKey(oldKey, r.wrappedKey, ctx, `environment ${r.environmentId}`);
      await tx
        .update(environmentKeys)
        .set({ wrappedKey: wrapDataKey(newKey, dataKey, ctx), rewrappedAt: now })
        .where(eq(environmentKeys.environmentId, r.environmentId));
    }
    const webhookSecrets = await resealWebhookSecrets(tx, oldKey, newKey);
    await tx
      .insert(serverMeta)
      .values({ key: MASTER_KEY_CHECK, value: masterKeyCheck(newKey), updatedAt: now })
      .onConflictDoUpdate({ target: serverMeta.key, set: { value: masterKeyCheck(newKey), updatedAt: now } });
    // Server-wide (no org): an operator's command, not a member's request, hence the system actor.
    // Only the short key ids (8 hex of a one-way check, as the CLI prints) identify the keys.
    await recordAudit(
      tx,
      { type: 'system', id: null, label: 'latch server rotate-master-key' },
      {
        orgId: null,
        action: 'master_key.rotated',
        data: {
          rewrapped: rows.length,
          webhookEndpoints: webhookSecrets,
          fromKeyId: masterKeyId(oldKey),
          toKeyId: masterKeyId(newKey),
        },
      },
    );
    // Running servers learn of it on their next data-key creation (see keyring.ts); this is for logs.
    await tx.execute(sql`SELECT pg_notify('latch_events', '{"kind":"master_key.rotated"}')`);
    return { rewrapped: rows.length, webhookSecrets };
  });
}

/**
 * Webhook signing secrets are sealed under the master key itself (the worker must sign with
 * them), so they are opened with the old key and sealed again under the new one, the previous
 * secret of a rotation too. A secret that does not open stops the rotation: nothing changes.
 */
async function resealWebhookSecrets(tx: DbOrTx, oldKey: Buffer, newKey: Buffer): Promise<number> {
  const res = await tx.execute(
    sql`SELECT id, secret_enc, previous_secret_enc FROM webhook_endpoints ORDER BY id FOR UPDATE`,
  );
  const reseal = (id: string, blob: unknown): Buffer => {
    const value = openUnderMasterKey(oldKey, Buffer.from(blob as Buffer), SECRET_LABEL, id);
    if (value === null)
      throw new MasterKeyMismatch(`the signing secret of webhook endpoint ${id} does not open`);
    return sealUnderMasterKey(newKey, value, SECRET_LABEL, id);
  };
  for (const r of res.rows as { id: string; secret_enc: Buffer; previous_secret_enc: Buffer | null }[]) {
    const previous = r.previous_secret_enc ? reseal(r.id, r.previous_secret_enc) : null;
    await tx.execute(sql`
      UPDATE webhook_endpoints SET secret_enc = ${reseal(r.id, r.secret_enc)}, previous_secret_enc = ${previous}
      WHERE id = ${r.id}`);
  }
  return res.rows.length;
}
