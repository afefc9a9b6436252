import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Rows of one report, column by column: one INSERT … SELECT FROM unnest stores them all. */
export type UsageColumns = {
  keyId: string[];
  route: (string | null)[];
  outcome: string[];
  atMs: number[];
  latencyMs: number[];
  count: number[];
};

export function emptyColumns(): UsageColumns {
  return { keyId: [], route: [], outcome: [], atMs: [], latencyMs: [], count: [] };
}

export type Stored = { stored: number; lastUsed: { id: string; at: Date }[] };

/** The per-key columns of every row, as binary COPY fields: the same bytes for each of its rows. */
type KeyFields = { fields: Buffer };

const COPY_COLUMNS = `org_id, project_id, environment_id, key_id, key_name, at, route, outcome, latency_ms,
  count, client_addr`;
/** Binary COPY header: signature, no flags, no extension. */
const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** Milliseconds from 1970 to 2000-01-01, PostgreSQL's epoch for binary timestamps. */
const PG_EPOCH_MS = 946_684_800_000;
const COPY_WRITE_BYTES = 1 << 20;

function textField(v: string | null): Buffer {
  if (v === null) {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(-1);
    return b;
  }
  const bytes = Buffer.from(v, 'utf8');
  const b = Buffer.allocUnsafe(4 + bytes.length);
  b.writeInt32BE(bytes.length);
  bytes.copy(b, 4);
  return b;
}

/**
 * Stores a report's rows, keeping only rows of this project's keys (a report naming another
 * project's key stores nothing for it). Answers, per key, the newest real use (VALID or
 * RATE_LIMITED) among the rows stored: last-used is taken from the stored events.
 *
 * Two round trips whatever the row count: the report's keys are looked up once, then the rows go
 * in one binary COPY FROM STDIN, encoded here (PostgreSQL parses no text and plans no join). The
 * COPY is one statement, so one transaction: a report is stored whole or not at all, and its rows
 * share one log position (xid), with ids in the report's order, which is the order `latch logs`
 * shows them in.
 */
export async function insertUsage(
  pool: pg.Pool,
  projectId: string,
  clientAddr: string | null,
  c: UsageColumns,
): Promise<Stored> {
  const n = c.keyId.length;
  if (n === 0) return { stored: 0, lastUsed: [] };
  const distinct = [...new Set(c.keyId)];
  const found = await pool.query<{ id: string; org_id: string; environment_id: string; name: string }>(
    'SELECT id, org_id, environment_id, name FROM api_keys WHERE id = ANY($1::text[]) AND project_id = $2',
    [distinct, projectId],
  );
  if (found.rows.length === 0) return { stored: 0, lastUsed: [] };
  const keys = new Map<string, KeyFields>();
  for (const k of found.rows) {
    keys.set(k.id, {
      fields: Buffer.concat([k.org_id, projectId, k.environment_id, k.id, k.name].map(textField)),
    });
  }
  const texts = new Map<string | null, Buffer>();
  const text = (v: string | null) => {
    let b = texts.get(v);
    if (!b) {
      b = textField(v);
      texts.set(v, b);
    }
    return b;
  };
  const addr = textField(clientAddr);

  const client = await pool.connect();
  let ok = false;
  try {
    const stream = client.query(copyFrom(`COPY usage_events (${COPY_COLUMNS}) FROM STDIN (FORMAT binary)`));
    const done = once(stream, 'finish');
    // Awaited below; a COPY refused meanwhile must not count as an unhandled rejection.
    done.catch(() => {});
    // Backpressure: a report of many rows is written in pieces, waiting for the socket to drain.
    let buf = Buffer.allocUnsafe(COPY_WRITE_BYTES);
    let o = COPY_HEADER.copy(buf, 0);
    const flush = async (need: number) => {
      if (o + need <= buf.length) return;
      if (!stream.write(buf.subarray(0, o))) await once(stream, 'drain');
      buf = Buffer.allocUnsafe(Math.max(COPY_WRITE_BYTES, need));
      o = 0;
    };
    let stored = 0;
    const last = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const keyId = c.keyId[i]!;
      const key = keys.get(keyId);
      if (!key) continue;
      const route = text(c.route[i]!);
      const outcome = c.outcome[i]!;
      const outcomeField = text(outcome);
      await flush(2 + key.fields.length + 12 + route.length + outcomeField.length + 16 + addr.length);
      o = buf.writeInt16BE(11, o);
      o += key.fields.copy(buf, o);
      const at = c.atMs[i]!;
      // timestamptz: microseconds since 2000-01-01 as a signed 64-bit integer.
      const micros = Math.round((at - PG_EPOCH_MS) * 1000);
      o = buf.writeInt32BE(8, o);
      const high = Math.floor(micros / 2 ** 32);
      o = buf.writeInt32BE(high, o);
      o = buf.writeUInt32BE(micros - high * 2 ** 32, o);
      o += route.copy(buf, o);
      o += outcomeField.copy(buf, o);
      o = buf.writeInt32BE(4, o);
      o = buf.writeFloatBE(c.latencyMs[i]!, o);
      o = buf.writeInt32BE(4, o);
      o = buf.writeInt32BE(c.count[i]!, o);
      o += addr.copy(buf, o);
      stored++;
      if (outcome === 'VALID' || outcome === 'RATE_LIMITED') {
        // The newest use as stored: at is kept to the microsecond, so the Date is that, cut to ms.
        const prev = last.get(keyId);
        if (prev === undefined || at > prev) last.set(keyId, at);
      }
    }
    await flush(2);
    o = buf.writeInt16BE(-1, o);
    stream.end(buf.subarray(0, o));
    await done;
    ok = true;
    return { stored, lastUsed: [...last].map(([id, at]) => ({ id, at: new Date(at) })) };
  } finally {
    // A COPY that failed midway leaves the connection in an unknown state: not given out again.
    client.release(!ok);
  }
}

/**
 * The INSERT … SELECT FROM unnest that stored reports before COPY (one round trip, six array
 * parameters): bench/usage's baseline, and what the COPY path's answers are tested against.
 */
export async function insertUsageByUnnest(
  pool: pg.Pool,
  projectId: string,
  clientAddr: string | null,
  c: UsageColumns,
): Promise<Stored> {
  if (c.keyId.length === 0) return { stored: 0, lastUsed: [] };
  const { rows } = await pool.query<{ key_id: string; n: number; last: Date | null }>(
    `WITH u AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::real[], $6::int[])
         WITH ORDINALITY AS u(key_id, route, outcome, at_ms, latency_ms, count, ord)
     ), ins AS (
       INSERT INTO usage_events (at, org_id, project_id, environment_id, key_id, key_name, route,
         outcome, latency_ms, count, client_addr)
       SELECT to_timestamp(u.at_ms / 1000.0), k.org_id, k.project_id, k.environment_id, u.key_id,
         k.name, u.route, u.outcome, u.latency_ms, u.count, $7
       FROM u JOIN api_keys k ON k.id = u.key_id AND k.project_id = $8
       -- Ids in the report's order, whatever join the planner picks: the log orders a report's
       -- rows (one transaction, one position) by id.
       ORDER BY u.ord
       RETURNING key_id, at, outcome
     )
     SELECT key_id, count(*)::int AS n,
       max(at) FILTER (WHERE outcome IN ('VALID', 'RATE_LIMITED')) AS last
     FROM ins GROUP BY key_id`,
    [c.keyId, c.route, c.outcome, c.atMs, c.latencyMs, c.count, clientAddr, projectId],
  );
  let stored = 0;
  const lastUsed: Stored['lastUsed'] = [];
  for (const r of rows) {
    stored += r.n;
    if (r.last) lastUsed.push({ id: r.key_id, at: r.last });
  }
  return { stored, lastUsed };
}

/**
 * Deletes usage rows older than `cutoff`, `chunk` rows per statement (short transactions: ingestion
 * and readers never wait long behind the job). Answers how many went.
 */
export async function deleteUsageBefore(pool: pg.Pool, cutoff: Date, chunk = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await pool.query(
      `DELETE FROM usage_events WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM usage_events WHERE at < $1 LIMIT $2))`,
      [cutoff, chunk],
    );
    total += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < chunk) return total;
  }
}
