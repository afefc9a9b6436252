import { sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../store/db.js';
import { type ChainedContent, GENESIS_HASH, hashChained } from './chain-encoding.js';

export type AppendRow = Omit<ChainedContent, 'createdAt'>;
export type Appended = { seq: number; hash: Buffer; createdAt: Date };

/** The audit_chain_heads key of a row's chain: its org, or '' for system events. */
export function chainKey(orgId: string | null): string {
  return orgId ?? '';
}

/**
 * Appends one row to its org's chain inside the caller's transaction.
 *
 * The upsert on the chain's head row takes that row's lock and hands out the next seq with the
 * previous row's hash. Another writer of the same org waits on it until this transaction ends:
 * if it commits, the waiter sees the new seq and hash (no fork); if it rolls back, the seq is
 * handed out again (no gap). Writers of other orgs touch other head rows and never wait.
 * Two round trips: the lock must be held before the hash can be computed.
 */
export async function appendChained(tx: DbOrTx, row: AppendRow): Promise<Appended> {
  // A few callers record reads outside any transaction: the lock must still span both statements.
  if (!(tx instanceof PgTransaction)) return tx.transaction((inner) => appendChained(inner, row));
  const chain = chainKey(row.orgId);
  // Stored as jsonb and hashed as read back: the round trip drops undefined fields and turns
  // dates into strings exactly as the verifier will see them.
  const dataJson = JSON.stringify(row.data ?? {});
  // clock_timestamp, read under the lock: times never run backwards along a chain (as long as
  // the database's clock does not), which the transaction-start now() would not promise. Whole
  // milliseconds, the precision a Date (and so the encoding) holds.
  const head = await tx.execute<{ seq: string; hash: Buffer; at_ms: string }>(sql`
    INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (${chain}, 1, ${GENESIS_HASH})
    ON CONFLICT (chain) DO UPDATE SET seq = audit_chain_heads.seq + 1
    RETURNING seq, hash, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS at_ms`);
  const h = head.rows[0]!;
  const at = new Date(Number(h.at_ms));
  const content: ChainedContent = { ...row, data: JSON.parse(dataJson), createdAt: at };
  const hash = hashChained(content, h.hash);
  const seq = Number(h.seq);
  await tx.execute(sql`
    WITH appended AS (
      INSERT INTO audit_events (org_id, actor_type, actor_id, actor_label, action, target_type,
        target_id, data, ip, request_id, created_at, seq, prev_hash, hash)
      VALUES (${row.orgId}, ${row.actorType}, ${row.actorId}, ${row.actorLabel}, ${row.action},
        ${row.targetType}, ${row.targetId}, ${dataJson}::jsonb, ${row.ip}, ${row.requestId},
        ${at}, ${seq}, ${h.hash}, ${hash})
    )
    UPDATE audit_chain_heads SET hash = ${hash} WHERE chain = ${chain}`);
  return { seq, hash, createdAt: at };
}

let plainForBenchmark = false;

/**
 * bench/audit only: its baseline is the same requests with the pre-chain single INSERT. Not
 * reachable from configuration or the environment; production code never calls it.
 */
export function setPlainAuditForBenchmark(on: boolean): void {
  plainForBenchmark = on;
}

/** The write recordAudit makes. */
export async function appendAudit(tx: DbOrTx, row: AppendRow): Promise<void> {
  if (!plainForBenchmark) {
    await appendChained(tx, row);
    return;
  }
  await tx.execute(sql`
    INSERT INTO audit_events (org_id, actor_type, actor_id, actor_label, action, target_type,
      target_id, data, ip, request_id)
    VALUES (${row.orgId}, ${row.actorType}, ${row.actorId}, ${row.actorLabel}, ${row.action},
      ${row.targetType}, ${row.targetId}, ${JSON.stringify(row.data ?? {})}::jsonb, ${row.ip},
      ${row.requestId})`);
}
