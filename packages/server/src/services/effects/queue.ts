import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { newId } from '../../ids.js';
import type { DbOrTx } from '../../store/db.js';
import { publish } from '../../store/notify.js';

/**
 * The queue's SQL. Enqueues run inside the caller's transaction (a change and its event commit
 * together) and notify the workers on commit; the workers' claim, finish and return run on the
 * pool, one round trip each.
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

/** Inserts one effect; null when its idempotency key is already taken (the caller reads that one). */
export async function insertEffect(tx: DbOrTx, e: NewEffect): Promise<EffectRow | null> {
  const id = newId('eff');
  const result = await tx.execute(sql`
    INSERT INTO effects (id, message_id, org_id, project_id, environment_id, endpoint_id, kind, event_type,
      url, headers, payload, state, schedule, next_attempt_at, idempotency_key, created_at, updated_at)
    VALUES (${id}, ${e.messageId ?? id.replace(/^eff_/, 'msg_')}, ${e.orgId}, ${e.projectId ?? null},
      ${e.environmentId ?? null}, ${e.endpointId ?? null}, ${e.kind}, ${e.eventType ?? null}, ${e.url},
      ${JSON.stringify(e.headers ?? {})}::jsonb, ${e.payload}, 'pending', ${`{${e.schedule.join(',')}}`}::int[],
      ${DUE_NOW}, ${e.idempotencyKey ?? null}, ${e.at}, ${e.at})
    ON CONFLICT DO NOTHING
    RETURNING *`);
  const row = result.rows[0] ? rowOf(result.rows[0]) : undefined;
  if (row) await publish(tx, { kind: WAKE_EVENT });
  return row ?? null;
}

/**
 * A platform event to every enabled endpoint of the org subscribed to it, in one statement.
 * Orgs without endpoints pay one indexed read and no notification.
 */
export async function enqueueEvent(
  tx: DbOrTx,
  event: {
    orgId: string;
    type: string;
    body: (messageId: string) => string;
    at: Date;
    schedule: number[];
    exceptEndpoint?: string;
    /** The subscribed endpoints, when the caller already read them (recordAudit's append does). */
    endpoints?: { id: string; url: string }[];
    /** The environment the change happened in (its id, or its project and names), for `latch logs`. */
    environment?: EventEnvironment;
  },
): Promise<number> {
  const endpoints =
    event.endpoints ??
    ((
      await tx.execute(sql`
        SELECT id, url FROM webhook_endpoints
        WHERE org_id = ${event.orgId} AND enabled AND ${event.type} = ANY(events)
          AND id IS DISTINCT FROM ${event.exceptEndpoint ?? null}`)
    ).rows as { id: string; url: string }[]);
  if (endpoints.length === 0) return 0;
  const where = await environmentOf(tx, event.orgId, event.environment);
  for (const ep of endpoints) {
    const id = newId('eff');
    const messageId = id.replace(/^eff_/, 'msg_');
    await tx.execute(sql`
      INSERT INTO effects (id, message_id, org_id, project_id, environment_id, endpoint_id, kind, event_type, url,
        payload, state, schedule, next_attempt_at, created_at, updated_at)
      VALUES (${id}, ${messageId}, ${event.orgId}, ${where?.project_id ?? null}, ${where?.id ?? null}, ${ep.id},
        'webhook', ${event.type}, ${ep.url}, ${event.body(messageId)}, 'pending',
        ${`{${event.schedule.join(',')}}`}::int[], ${DUE_NOW}, ${event.at}, ${event.at})`);
  }
  await publish(tx, { kind: WAKE_EVENT });
  return endpoints.length;
}

export type EventEnvironment = { id: string } | { project: string; name: string };

/** Only read when an endpoint wants the event: orgs without endpoints pay nothing for it. */
async function environmentOf(
  tx: DbOrTx,
  orgId: string,
  env: EventEnvironment | undefined,
): Promise<{ id: string; project_id: string } | undefined> {
  if (!env) return undefined;
  const res = await tx.execute(
    'id' in env
      ? sql`SELECT id, project_id FROM environments WHERE id = ${env.id} AND org_id = ${orgId}`
      : sql`SELECT e.id, e.project_id FROM environments e JOIN projects p ON p.id = e.project_id
            WHERE p.org_id = ${orgId} AND p.name = ${env.project} AND e.name = ${env.name}`,
  );
  return res.rows[0] as { id: string; project_id: string } | undefined;
}

/** Claims up to `limit` due effects for this node, leased until `leaseUntil`. */
export async function claim(pool: pg.Pool, node: string, now: Date, leaseUntil: Date, limit: number) {
  const { rows } = await pool.query<EffectRow>(
    `WITH due AS (
       SELECT id FROM effects WHERE state IN ('pending', 'retrying') AND next_attempt_at <= $1
       ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
     UPDATE effects e SET state = 'in_flight', locked_by = $3, locked_until = $4, attempts = e.attempts + 1,
       updated_at = $1
     FROM due WHERE e.id = due.id
     RETURNING e.*`,
    [now, limit, node, leaseUntil],
  );
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

/**
 * Records an attempt and the effect's new state in one statement; only while this node still
 * holds the lease (a node whose lease ran out must not overwrite the one that took over).
 * Returns the endpoint's failing_since after the update (webhooks), or undefined when the lease
 * was lost.
 */
export async function finish(
  pool: pg.Pool,
  a: AttemptRecord,
  outcome: {
    state: 'delivered' | 'retrying' | 'dead';
    nextAt: Date | null;
    endpointId: string | null;
    now: Date;
  },
): Promise<{ failingSince: Date | null } | undefined> {
  const delivered = outcome.state === 'delivered';
  const { rows } = await pool.query<{ failing_since: Date | null }>(
    `WITH eff AS (
       UPDATE effects SET state = $9, locked_by = NULL, locked_until = NULL, last_status = $6, last_error = $7,
         next_attempt_at = coalesce($10, next_attempt_at), updated_at = $11,
         delivered_at = CASE WHEN $9 = 'delivered' THEN $11 ELSE delivered_at END
       WHERE id = $1 AND locked_by = $3 AND state = 'in_flight'
       RETURNING id, environment_id),
     att AS (
       INSERT INTO effect_attempts (effect_id, attempt, node, started_at, latency_ms, status, outcome, error,
         response_snippet, environment_id)
       SELECT $1, $2, $3, $4, $5, $6, $12, $7, $8, eff.environment_id FROM eff
       ON CONFLICT DO NOTHING),
     ep AS (
       UPDATE webhook_endpoints SET failing_since = CASE WHEN $13 THEN NULL ELSE coalesce(failing_since, $4) END
       WHERE id = $14 AND EXISTS (SELECT 1 FROM eff) AND (failing_since IS NOT NULL OR NOT $13)
       RETURNING failing_since)
     SELECT (SELECT count(*) FROM eff)::int AS updated, (SELECT failing_since FROM ep) AS failing_since`,
    [
      a.effectId,
      a.attempt,
      a.node,
      a.startedAt,
      a.latencyMs,
      a.status,
      a.error,
      a.snippet,
      outcome.state,
      outcome.nextAt,
      outcome.now,
      delivered ? 'delivered' : 'failed',
      delivered,
      outcome.endpointId,
    ],
  );
  const row = rows[0] as unknown as { updated: number; failing_since: Date | null };
  if (!row || row.updated === 0) return undefined;
  return { failingSince: row.failing_since };
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
