import type pg from 'pg';

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

/**
 * Stores a report's rows in one statement, keeping only rows of this project's keys (a report
 * naming another project's key stores nothing for it). Answers, per key, the newest real use
 * (VALID or RATE_LIMITED) among the rows stored: last-used is taken from the stored events.
 *
 * Arrays go as six parameters whatever the row count, so a 20,000-row report costs one round trip
 * and one parse; unnest is PostgreSQL's multi-row insert without building a VALUES list.
 */
export async function insertUsage(
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
