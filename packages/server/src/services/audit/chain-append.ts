import { type SQL, sql } from 'drizzle-orm';
import { type DbOrTx, executeNamed } from '../../store/db.js';
import { type ChainedContent, ENCODING_END, encodeAround, GENESIS_HASH } from './chain-encoding.js';

export type AppendRow = Omit<ChainedContent, 'createdAt'>;
export type Appended = { seq: number; hash: Buffer };
/**
 * The statement parts of the row's platform event (effects/queue.ts eventParts): CTEs that
 * enqueue it where `when` holds, and the select-list expression that wakes the workers.
 */
export type EventParts = (when: SQL) => { ctes: SQL; wake: SQL };
/** What an append's statement carries besides the row. */
export type AppendWith = {
  /** The data-modifying statement the row records (as CTE `change`), written with it. */
  change?: SQL | undefined;
  /** The row's platform event, enqueued by the same statement when the row is written. */
  event?: EventParts | undefined;
};

/** The audit_chain_heads key of a row's chain: its org, or '' for system events. */
export function chainKey(orgId: string | null): string {
  return orgId ?? '';
}

// The time as the encoding writes it (Date#toISOString), from a timestamptz.
const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * Appends one row to its org's chain inside the caller's transaction, in one statement.
 *
 * The upsert on the chain's head row takes that row's lock, hands out the next seq and computes
 * the new row's hash from the previous one: Node encodes everything known beforehand (all but
 * the previous hash and the time, chain-encoding.ts encodeAround) and PostgreSQL fills those two
 * in and hashes, so the lock is taken and used in a single round trip. Another writer of the
 * same org waits on the row until this transaction ends: if it commits, the waiter sees the new
 * seq and hash (no fork); if it rolls back, the seq is handed out again (no gap). Writers of
 * other orgs touch other head rows and never wait.
 *
 * The time is the statement's start, cut to milliseconds (the precision the encoding holds), and
 * never earlier than the row before: times along a chain never run backwards.
 *
 * The same statement writes the change the row records (`w.change`) and enqueues the change's
 * platform event (`w.event`): change, audit row and webhook effects in one round trip.
 */
export async function appendChained(tx: DbOrTx, row: AppendRow, w: AppendWith = {}): Promise<Appended> {
  // One statement, so also atomic for the few callers that record reads outside a transaction.
  const res = await tx.execute<{ seq: string; hash: Buffer }>(
    statementOf(
      w.change ? sql`change AS (${w.change}), ${appendCtes(row, null)}` : appendCtes(row, null),
      w.event,
    ),
  );
  const r = res.rows[0]!;
  return { seq: Number(r.seq), hash: r.hash };
}

/**
 * A change and its audit row in one statement, outside any transaction: `change(guard)` is a
 * data-modifying statement (an `INSERT … SELECT … WHERE ${guard}`) that the append is chained
 * to, so the change, the row, the chain head and the change's webhook effects (if any endpoint
 * subscribes to its event) commit together or not at all, in one round trip where a transaction
 * takes four or more (begin, change, append, commit). The head's row lock is taken and held to
 * the statement's commit exactly as in a transaction (appendChained).
 *
 * Answers false, writing nothing, when the change wrote nothing (its own conditions refused it).
 * The benchmark's plain-audit mode makes the same statement with the pre-chain INSERT in place
 * of the chain's two CTEs, so the two modes differ by the chain alone.
 */
export async function appendChainedWithChange(
  db: DbOrTx,
  row: AppendRow,
  change: (guard: SQL) => SQL,
  event?: EventParts,
): Promise<boolean> {
  const written = sql`EXISTS (SELECT 1 FROM change)`;
  const ctes = plainForBenchmark ? plainCte(row, written) : appendCtes(row, written);
  const res = await executeNamed<{ seq: string | null }>(
    db,
    statementOf(sql`change AS (${change(sql`true`)}), ${ctes}`, event),
  );
  return res.rows.length === 1;
}

/**
 * The append statement: `ctes` end with the CTE `row` (the audit row written, RETURNING seq and
 * hash); the event's CTEs follow, enqueued only when the row was written, and its wake-up is
 * selected so that it runs. One row (the row's seq and hash) when the row was written, else none.
 */
function statementOf(ctes: SQL, event: EventParts | undefined): SQL {
  const ev = event?.(sql`EXISTS (SELECT 1 FROM row)`);
  return sql`WITH ${ctes}${ev ? sql`, ${ev.ctes}` : sql``}
    SELECT seq, hash, ${ev ? ev.wake : sql`NULL`} AS woken FROM row`;
}

/**
 * The two CTEs of an append, `head` (the chain head's upsert, which takes its lock, hands out
 * the seq and hashes) and `row` (the audit row), written only when `when` holds (null: always).
 */
function appendCtes(row: AppendRow, when: SQL | null): SQL {
  const chain = chainKey(row.orgId);
  // Stored as jsonb and hashed as read back: the round trip drops undefined fields and turns
  // dates into strings exactly as the verifier will see them.
  const dataJson = JSON.stringify(row.data ?? {});
  const { beforePrev, beforeTime } = encodeAround({ ...row, data: JSON.parse(dataJson) });
  const t0 = sql.raw(`date_trunc('milliseconds', statement_timestamp())`);
  const hashOf = (prevHex: SQL, at: SQL) =>
    sql`sha256(convert_to(${beforePrev}::text || ${prevHex} || ${beforeTime}::text
      || to_char(${at} AT TIME ZONE 'UTC', ${sql.raw(ISO_MS)}) || ${ENCODING_END}::text, 'UTF8'))`;
  const first = sql`${chain}::text, 1, ${GENESIS_HASH}::bytea, ${t0}, ${hashOf(sql`${GENESIS_HASH.toString('hex')}::text`, t0)}`;
  return sql`head AS (
      INSERT INTO audit_chain_heads AS h (chain, seq, prev_hash, at, hash)
      ${when ? sql`SELECT ${first} WHERE ${when}` : sql`VALUES (${first})`}
      ON CONFLICT (chain) DO UPDATE SET
        seq = h.seq + 1,
        prev_hash = h.hash,
        at = greatest(${t0}, h.at),
        hash = ${hashOf(sql`encode(h.hash, 'hex')`, sql`greatest(${t0}, h.at)`)}
      RETURNING seq, prev_hash, at, hash
    ), row AS (
      INSERT INTO audit_events (org_id, actor_type, actor_id, actor_label, action, target_type,
        target_id, data, ip, request_id, created_at, seq, prev_hash, hash)
      SELECT ${row.orgId}, ${row.actorType}, ${row.actorId}, ${row.actorLabel}, ${row.action},
        ${row.targetType}, ${row.targetId}, ${dataJson}::jsonb, ${row.ip}, ${row.requestId},
        head.at, head.seq, head.prev_hash, head.hash
      FROM head
      RETURNING seq, hash
    )`;
}

let plainForBenchmark = false;

/**
 * bench/audit only: its baseline is the same requests with the pre-chain single INSERT. Not
 * reachable from configuration or the environment; production code never calls it.
 */
export function setPlainAuditForBenchmark(on: boolean): void {
  plainForBenchmark = on;
}

/**
 * The write recordAudit makes, in the caller's transaction: the row, with its change and its
 * event in the same statement. The benchmark's plain mode writes the pre-chain single INSERT
 * instead, carrying the same change and event, so the two differ by the chain alone.
 */
export async function appendAudit(tx: DbOrTx, row: AppendRow, w: AppendWith = {}): Promise<void> {
  if (!plainForBenchmark) {
    await appendChained(tx, row, w);
    return;
  }
  const plain = plainCte(row, null);
  await tx.execute(statementOf(w.change ? sql`change AS (${w.change}), ${plain}` : plain, w.event));
}

/** The benchmark's baseline: the pre-chain single INSERT as CTE `row`, where `when` holds. */
function plainCte(row: AppendRow, when: SQL | null): SQL {
  return sql`row AS (
    INSERT INTO audit_events (org_id, actor_type, actor_id, actor_label, action, target_type,
      target_id, data, ip, request_id)
    SELECT ${row.orgId}::text, ${row.actorType}::text, ${row.actorId}::text, ${row.actorLabel}::text,
      ${row.action}::text, ${row.targetType}::text, ${row.targetId}::text,
      ${JSON.stringify(row.data ?? {})}::jsonb, ${row.ip}::text, ${row.requestId}::text
    ${when ? sql`WHERE ${when}` : sql``}
    RETURNING seq, hash)`;
}
