import { type SQL, sql } from 'drizzle-orm';
import { type DbOrTx, executeNamed } from '../../store/db.js';
import { type ChainedContent, ENCODING_END, encodeAround, GENESIS_HASH } from './chain-encoding.js';

export type AppendRow = Omit<ChainedContent, 'createdAt'>;
export type Endpoint = { id: string; url: string };
export type Appended = { seq: number; hash: Buffer; endpoints?: Endpoint[] };
/** The webhook event a row is (effects/events.ts): its subscribers are read by the same statement. */
export type Subscribers = { type: string; exceptEndpoint: string | null };

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
 */
export async function appendChained(
  tx: DbOrTx,
  row: AppendRow,
  subscribers?: Subscribers,
): Promise<Appended> {
  // One statement, so also atomic for the few callers that record reads outside a transaction.
  const res = await tx.execute<{ seq: string; hash: Buffer }>(sql`
    WITH ${appendCtes(row, null)}
    SELECT seq, hash, ${
      // The change's webhook subscribers, read here rather than by a statement of their own: one
      // round trip less for every change that is a platform event (effects/queue.ts enqueueEvent).
      subscribers && row.orgId !== null
        ? sql`(SELECT coalesce(json_agg(json_build_object('id', id, 'url', url)), '[]'::json)
            FROM ${subscribersOf(row.orgId, subscribers)})`
        : sql`NULL::json`
    } AS endpoints FROM row`);
  const r = res.rows[0]! as { seq: string; hash: Buffer; endpoints: Endpoint[] | null };
  return { seq: Number(r.seq), hash: r.hash, ...(r.endpoints ? { endpoints: r.endpoints } : {}) };
}

/**
 * A change and its audit row in one statement, outside any transaction: `change(guard)` is a
 * data-modifying statement (an `INSERT … SELECT … WHERE ${guard}`) that the append is chained
 * to, so the change, the row and the chain head commit together or not at all, in one round
 * trip where a transaction takes four (begin, change, append, commit). The head's row lock is
 * taken and held to the statement's commit exactly as in a transaction (appendChained).
 *
 * Only when no webhook endpoint subscribes to the change's event: those need their effects
 * enqueued in the same transaction (recordAudit). The guard is false then, nothing is written,
 * and it answers false: the caller makes the change the usual way. Also false, writing nothing,
 * in the benchmark's plain-audit mode.
 */
export async function appendChainedWithChange(
  db: DbOrTx,
  row: AppendRow,
  change: (guard: SQL) => SQL,
  subscribers?: Subscribers,
): Promise<boolean> {
  if (plainForBenchmark) return false;
  const guard =
    subscribers && row.orgId !== null
      ? sql`NOT EXISTS (SELECT 1 FROM ${subscribersOf(row.orgId, subscribers)})`
      : sql`true`;
  const res = await executeNamed<{ n: number }>(
    db,
    sql`
    WITH change AS (${change(guard)}), ${appendCtes(row, sql`EXISTS (SELECT 1 FROM change)`)}
    SELECT count(*)::int AS n FROM row`,
  );
  return res.rows[0]!.n === 1;
}

/** The enabled endpoints of an org that want an event, as a FROM item. */
function subscribersOf(orgId: string, s: Subscribers): SQL {
  return sql`webhook_endpoints WHERE org_id = ${orgId} AND enabled AND ${s.type} = ANY(events)
    AND id IS DISTINCT FROM ${s.exceptEndpoint}`;
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

/** The write recordAudit makes; answers the row's webhook subscribers when it was asked for them. */
export async function appendAudit(
  tx: DbOrTx,
  row: AppendRow,
  subscribers?: Subscribers,
): Promise<Endpoint[] | undefined> {
  if (!plainForBenchmark) return (await appendChained(tx, row, subscribers)).endpoints;
  await tx.execute(sql`
    INSERT INTO audit_events (org_id, actor_type, actor_id, actor_label, action, target_type,
      target_id, data, ip, request_id)
    VALUES (${row.orgId}, ${row.actorType}, ${row.actorId}, ${row.actorLabel}, ${row.action},
      ${row.targetType}, ${row.targetId}, ${JSON.stringify(row.data ?? {})}::jsonb, ${row.ip},
      ${row.requestId})`);
  return undefined;
}
