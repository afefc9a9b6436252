import { type SQL, sql } from 'drizzle-orm';
import type pg from 'pg';
import { newId } from '../../ids.js';
import type { DbOrTx } from '../../store/db.js';
import { EVENTS_CHANNEL } from '../../store/notify.js';

/**
 * The queue's SQL. Enqueues run inside the caller's transaction (a change and its event commit
 * together) and notify the workers on commit, each in one statement; the workers' claim, finish
 * and return run on the pool: a claim and a batch of finished attempts are one round trip each.
 */
export const WAKE_EVENT = 'effects.enqueued';
/**
 * First attempts are due at once whatever a node's clock says (the changes that enqueue events are
 * stamped with the wall clock, the workers read the injected one): due since the epoch.
 */
export const DUE_NOW = new Date(0);

export type NewEffect = {
  orgId: string;
  projectId?: string | null;
  environmentId?: string | null;
  endpointId?: string | null;
  kind: 'webhook' | 'app';
  eventType?: string | null;
  url: string;
  headers?: Record<string, string>;
  payload: string;
  schedule: number[];
  idempotencyKey?: string | null;
  messageId?: string;
  at: Date;
};

export type EffectRow = {
  id: string;
  message_id: string;
  org_id: string;
  project_id: string | null;
  environment_id: string | null;
  endpoint_id: string | null;
  kind: 'webhook' | 'app';
  event_type: string | null;
  url: string;
  headers: Record<string, string>;
  payload: string;
  state: string;
  attempts: number;
  schedule: number[];
  next_attempt_at: Date;
  locked_by: string | null;
  idempotency_key: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
};

/** Dates from rows read through drizzle's execute (which leaves timestamptz as text). */
export function rowOf(r: Record<string, unknown>): EffectRow {
  const d = (v: unknown) => (v == null ? null : v instanceof Date ? v : new Date(String(v)));
  return {
    ...(r as EffectRow),
    next_attempt_at: d(r.next_attempt_at) as Date,
    created_at: d(r.created_at) as Date,
    updated_at: d(r.updated_at) as Date,
    delivered_at: d(r.delivered_at),
  };
}

const WAKE = JSON.stringify({ kind: WAKE_EVENT });

/**
 * Inserts one effect and wakes the workers (on commit), in one statement: atomic alone, so an
 * enqueue without an idempotency key needs no transaction. Null when its idempotency key is
 * already taken (the caller reads that one; nobody is woken).
 */
export async function insertEffect(tx: DbOrTx, e: NewEffect): Promise<EffectRow | null> {
  const id = newId('eff');
  const result = await tx.execute(sql`
    WITH ins AS (
      INSERT INTO effects (id, message_id, org_id, project_id, environment_id, endpoint_id, kind, event_type,
        url, headers, payload, state, schedule, next_attempt_at, idempotency_key, created_at, updated_at)
      VALUES (${id}, ${e.messageId ?? id.replace(/^eff_/, 'msg_')}, ${e.orgId}, ${e.projectId ?? null},
        ${e.environmentId ?? null}, ${e.endpointId ?? null}, ${e.kind}, ${e.eventType ?? null}, ${e.url},
        ${JSON.stringify(e.headers ?? {})}::jsonb, ${e.payload}, 'pending', ${`{${e.schedule.join(',')}}`}::int[],
        ${DUE_NOW}, ${e.idempotencyKey ?? null}, ${e.at}, ${e.at})
      ON CONFLICT DO NOTHING
      RETURNING *)
    SELECT ins.*, pg_notify(${EVENTS_CHANNEL}, ${WAKE}) AS woken FROM ins`);
  const found = result.rows[0];
  if (!found) return null;
  const { woken: _woken, ...row } = found;
  return rowOf(row);
}

/** A platform event, for every enabled endpoint of its org subscribed to its type. */
export type PlatformEvent = {
  orgId: string;
  type: string;
  /** The Standard Webhooks body, the same for every endpoint (the message id travels as a header). */
  body: string;
  at: Date;
  schedule: number[];
  /** Not told (endpoint.disabled is not sent to the endpoint that was disabled). */
  exceptEndpoint?: string | null;
  /** The environment the change happened in (its id, or its project and names), for `latch logs`. */
  environment?: EventEnvironment;
};

/**
 * An event's enqueue as parts of another statement (the audit append of its change,
 * chain-append.ts), so the change, its audit row and its effects are one round trip: CTEs `ev_env`
 * and `enqueued` (one effect per subscribed endpoint, read by the insert itself: an org without
 * endpoints pays one indexed read), written only where `when` holds; and `wake`, an expression
 * for the statement's select list that notifies the workers (on commit) when anything was
 * enqueued. The ids are made by PostgreSQL (the number of endpoints is known only there), as a
 * replay's are.
 */
export function eventParts(event: PlatformEvent, when: SQL = sql`true`): { ctes: SQL; wake: SQL } {
  const ctes = sql`ev_env AS (${environmentOf(event.orgId, event.environment)} LIMIT 1),
    enqueued AS (
      INSERT INTO effects (id, message_id, org_id, project_id, environment_id, endpoint_id, kind, event_type, url,
        payload, state, schedule, next_attempt_at, created_at, updated_at)
      SELECT 'eff_' || w.k, 'msg_' || w.k, ${event.orgId}, (SELECT project_id FROM ev_env), (SELECT id FROM ev_env),
        w.id, 'webhook', ${event.type}, w.url, ${event.body}, 'pending', ${`{${event.schedule.join(',')}}`}::int[],
        ${DUE_NOW}, ${event.at}, ${event.at}
      FROM (SELECT id, url, replace(gen_random_uuid()::text, '-', '') AS k FROM webhook_endpoints
            WHERE org_id = ${event.orgId} AND enabled AND ${event.type} = ANY(events)
              AND id IS DISTINCT FROM ${event.exceptEndpoint ?? null}) w
      WHERE ${when}
      RETURNING 1)`;
  return { ctes, wake: sql`(SELECT pg_notify(${EVENTS_CHANNEL}, ${WAKE}) FROM enqueued LIMIT 1)` };
}

/** A platform event alone, in one statement in the caller's transaction; answers how many effects. */
export async function enqueueEvent(tx: DbOrTx, event: PlatformEvent): Promise<number> {
  const { ctes, wake } = eventParts(event);
  const res = await tx.execute<{ n: number }>(
    sql`WITH ${ctes} SELECT (SELECT count(*) FROM enqueued)::int AS n, ${wake} AS woken`,
  );
  return res.rows[0]!.n;
}

export type EventEnvironment = { id: string } | { project: string; name: string };

/** The environment a change happened in, as a query of (id, project_id): no row when unknown. */
function environmentOf(orgId: string, env: EventEnvironment | undefined) {
  if (!env) return sql`SELECT NULL::text AS id, NULL::text AS project_id WHERE false`;
  return 'id' in env
    ? sql`SELECT id, project_id FROM environments WHERE id = ${env.id} AND org_id = ${orgId}`
    : sql`SELECT e.id, e.project_id FROM environments e JOIN projects p ON p.id = e.project_id
          WHERE p.org_id = ${orgId} AND p.name = ${env.project} AND e.name = ${env.name}`;
}

/**
 * The claim: the oldest due rows, read in order from the partial index effects_due (pending and
 * retrying only, so delivered rows cost it nothing), skipping rows another node has locked. It
 * is the function claim_effects (migration 0025), which pins that plan. Parameters: now, limit,
 * node, lease end.
 */
export const CLAIM_SQL = `SELECT id, message_id, endpoint_id, kind, url, headers, payload, attempts, schedule, created_at
  FROM claim_effects($1, $2, $3, $4)`;
/** What an attempt needs of a claimed effect (only these are sent and parsed). */
export type ClaimedEffect = Pick<
  EffectRow,
  | 'id'
  | 'message_id'
  | 'endpoint_id'
  | 'kind'
  | 'url'
  | 'headers'
  | 'payload'
  | 'attempts'
  | 'schedule'
  | 'created_at'
>;
/** The function's statement and settings, for EXPLAIN (bench/effects). */
export const CLAIM_PLAN = {
  settings: ['SET LOCAL enable_bitmapscan = off', 'SET LOCAL enable_sort = off'],
  sql: `WITH due AS (
     SELECT id FROM effects WHERE state IN ('pending', 'retrying') AND next_attempt_at <= $1
     ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   UPDATE effects e SET state = 'in_flight', locked_by = $3, locked_until = $4, attempts = e.attempts + 1,
     updated_at = $1
   FROM due WHERE e.id = due.id
   RETURNING e.*`,
};

/** Claims up to `limit` due effects for this node, leased until `leaseUntil`. */
export async function claim(pool: pg.Pool, node: string, now: Date, leaseUntil: Date, limit: number) {
  const { rows } = await pool.query<ClaimedEffect>({
    name: 'effects_claim',
    text: CLAIM_SQL,
    values: [now, limit, node, leaseUntil],
  });
  return rows;
}

/**
 * Leases that ran out (their node died, or hung past its lease) go back to the queue, due now.
 * The lost attempt is not counted: a crash must not use up an effect's retries.
 */
export async function reclaimExpired(pool: pg.Pool, now: Date): Promise<number> {
  const { rowCount } = await pool.query(
    `UPDATE effects SET state = 'retrying', locked_by = NULL, locked_until = NULL,
       attempts = greatest(attempts - 1, 0), next_attempt_at = $1, updated_at = $1
     WHERE state = 'in_flight' AND locked_until < $1`,
    [now],
  );
  return rowCount ?? 0;
}

/** On a clean stop: this node's unfinished attempts go back, due now, for any node to take. */
export async function returnLeases(pool: pg.Pool, node: string, now: Date): Promise<number> {
  const { rowCount } = await pool.query(
    `UPDATE effects SET state = 'retrying', locked_by = NULL, locked_until = NULL,
       attempts = greatest(attempts - 1, 0), next_attempt_at = $2, updated_at = $2
     WHERE state = 'in_flight' AND locked_by = $1`,
    [node, now],
  );
  return rowCount ?? 0;
}

export type AttemptRecord = {
  effectId: string;
  attempt: number;
  node: string;
  startedAt: Date;
  latencyMs: number;
  status: number | null;
  error: string | null;
  snippet: string | null;
};

export type AttemptOutcome = {
  state: 'delivered' | 'retrying' | 'dead';
  nextAt: Date | null;
  endpointId: string | null;
  now: Date;
};

/** What recording an attempt found: undefined when this node no longer held the lease. */
export type Finished = { failingSince: Date | null } | undefined;

// PostgreSQL text cannot hold NUL: a receiver's answer (or an error) with one would make the
// whole batch fail, so it is replaced as it is stored.
const storable = (v: string | null) => (v?.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v);

const FINISH_SQL = `WITH v AS (
       SELECT * FROM unnest($2::text[], $3::int[], $4::timestamptz[], $5::int[], $6::int[], $7::text[],
         $8::text[], $9::text[], $10::timestamptz[], $11::text[], $12::timestamptz[])
         WITH ORDINALITY AS v(effect_id, attempt, started_at, latency_ms, status, error, snippet, state,
           next_at, endpoint_id, now, seq)),
     eff AS (
       UPDATE effects e SET state = v.state, locked_by = NULL, locked_until = NULL, last_status = v.status,
         last_error = v.error, next_attempt_at = coalesce(v.next_at, e.next_attempt_at), updated_at = v.now,
         delivered_at = CASE WHEN v.state = 'delivered' THEN v.now ELSE e.delivered_at END
       FROM v WHERE e.id = v.effect_id AND e.locked_by = $1 AND e.state = 'in_flight'
       RETURNING e.id, e.environment_id),
     done AS (SELECT v.*, eff.environment_id FROM v JOIN eff ON eff.id = v.effect_id),
     att AS (
       INSERT INTO effect_attempts (effect_id, attempt, node, started_at, latency_ms, status, outcome, error,
         response_snippet, environment_id)
       SELECT effect_id, attempt, $1, started_at, latency_ms, status,
         CASE WHEN state = 'delivered' THEN 'delivered' ELSE 'failed' END, error, snippet, environment_id
       FROM done ORDER BY seq
       ON CONFLICT DO NOTHING),
     per_endpoint AS (
       SELECT endpoint_id, max(seq) FILTER (WHERE state = 'delivered') AS last_ok, max(seq) AS last
       FROM done WHERE endpoint_id IS NOT NULL GROUP BY endpoint_id),
     ends AS (
       SELECT p.endpoint_id, p.last_ok IS NOT NULL AS any_ok, p.last_ok IS NOT DISTINCT FROM p.last AS ok_last,
         (SELECT min(d.started_at) FROM done d WHERE d.endpoint_id = p.endpoint_id AND d.state <> 'delivered'
            AND d.seq > coalesce(p.last_ok, 0)) AS fail_from
       FROM per_endpoint p),
     ep AS (
       UPDATE webhook_endpoints w SET failing_since = CASE WHEN ends.ok_last THEN NULL
           WHEN ends.any_ok THEN ends.fail_from ELSE coalesce(w.failing_since, ends.fail_from) END
       FROM ends WHERE w.id = ends.endpoint_id AND (w.failing_since IS NOT NULL OR NOT ends.ok_last)
       RETURNING w.id, w.failing_since)
     SELECT (SELECT coalesce(array_agg(id), '{}') FROM eff) AS updated,
       (SELECT coalesce(json_agg(json_build_object('id', id, 'since', failing_since)), '[]') FROM ep) AS endpoints`;

/**
 * Records a batch of attempts by one node and their effects' new states in one statement, one
 * round trip however many finished together (the worker sends whatever finished while the
 * previous batch was being written). Each effect is updated only while this node still holds its
 * lease (a node whose lease ran out must not overwrite the one that took over); its attempt is
 * recorded only if it was. A webhook endpoint's failing_since ends up as if the batch's attempts
 * had been recorded one by one in order: cleared by a success, else set by the first failure
 * after the last success (or kept, when it was already failing). Returns, for each attempt in
 * order, the endpoint's failing_since after the batch (null for app effects and endpoints not
 * failing), or undefined when the lease was lost.
 */
export async function finishBatch(
  pool: pg.Pool,
  node: string,
  batch: { attempt: AttemptRecord; outcome: AttemptOutcome }[],
): Promise<Finished[]> {
  if (batch.length === 0) return [];
  const col = <T>(f: (b: (typeof batch)[number]) => T) => batch.map(f);
  const { rows } = await pool.query<{ updated: string[]; endpoints: { id: string; since: string | null }[] }>(
    {
      // Prepared once per connection: the statement is long, and parsing and planning it anew for
      // every batch cost the database more than a small batch's rows did.
      name: 'effects_finish',
      text: FINISH_SQL,
      values: [
        node,
        col((b) => b.attempt.effectId),
        col((b) => b.attempt.attempt),
        col((b) => b.attempt.startedAt),
        col((b) => b.attempt.latencyMs),
        col((b) => b.attempt.status),
        col((b) => storable(b.attempt.error)),
        col((b) => storable(b.attempt.snippet)),
        col((b) => b.outcome.state),
        col((b) => b.outcome.nextAt),
        col((b) => b.outcome.endpointId),
        col((b) => b.outcome.now),
      ],
    },
  );
  const row = rows[0]!;
  const updated = new Set(row.updated);
  const since = new Map(row.endpoints.map((e) => [e.id, e.since === null ? null : new Date(e.since)]));
  return batch.map((b) =>
    updated.has(b.attempt.effectId)
      ? { failingSince: (b.outcome.endpointId && since.get(b.outcome.endpointId)) || null }
      : undefined,
  );
}

/** One attempt alone (finishBatch of one). */
export async function finish(pool: pg.Pool, a: AttemptRecord, outcome: AttemptOutcome): Promise<Finished> {
  const [result] = await finishBatch(pool, a.node, [{ attempt: a, outcome }]);
  return result;
}

export type EndpointSecrets = {
  id: string;
  org_id: string;
  enabled: boolean;
  secret_enc: Buffer;
  previous_secret_enc: Buffer | null;
  previous_expires_at: Date | null;
};

export async function endpointSecrets(pool: pg.Pool, ids: string[]): Promise<Map<string, EndpointSecrets>> {
  if (ids.length === 0) return new Map();
  const { rows } = await pool.query<EndpointSecrets>(
    `SELECT id, org_id, enabled, secret_enc, previous_secret_enc, previous_expires_at
     FROM webhook_endpoints WHERE id = ANY($1)`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}
