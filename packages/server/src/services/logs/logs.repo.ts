import type { LogEvent, LogEventType } from '@latchkey/core';
import type pg from 'pg';
import { encodePosition, type Position, SOURCE } from './position.js';

/** Whose log: the environment, and the names its audit rows carry (audit data names, not ids). */
export type LogScope = { orgId: string; environmentId: string; projectName: string; environmentName: string };
export type LogFilter = { types: ReadonlySet<LogEventType>; keyId?: string | undefined };
export type LogRead = {
  after?: Position | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
  /** Newest first (the backlog a tail starts with); otherwise oldest first. */
  newest?: boolean;
};

type Row = {
  source: number;
  xid: string;
  id: string;
  at: Date;
  key_id: string | null;
  key_name: string | null;
  route: string | null;
  outcome: string | null;
  latency_ms: number | null;
  count: number;
  client_addr: string | null;
  action: string | null;
  actor: string | null;
  target: string | null;
  data: Record<string, unknown> | null;
};

const USAGE_TYPES: LogEventType[] = ['verify', 'denied', 'rate_limited'];

function usageType(outcome: string): LogEventType {
  return outcome === 'VALID' ? 'verify' : outcome === 'RATE_LIMITED' ? 'rate_limited' : 'denied';
}

function detailOf(action: string, data: Record<string, unknown> | null): string | null {
  if (!data) return null;
  if (action.startsWith('release.') && typeof data.number === 'number') return `v${data.number}`;
  if (typeof data.name === 'string') return data.name;
  if (Array.isArray(data.names)) return data.names.filter((n) => typeof n === 'string').join(', ');
  return null;
}

/** `attempt 2 · HTTP 500` or `attempt 1 · timeout`: never the payload nor the receiver's answer. */
function deliveryDetail(data: Record<string, unknown> | null): string | null {
  if (!data) return null;
  const result =
    typeof data.status === 'number'
      ? `HTTP ${data.status}`
      : typeof data.error === 'string'
        ? data.error.slice(0, 120)
        : null;
  return [`attempt ${data.attempt}`, result].filter(Boolean).join(' · ');
}

function typeOf(r: Row): LogEventType {
  if (r.source === SOURCE.usage) return usageType(r.outcome!);
  if (r.source === SOURCE.delivery) return 'delivery';
  return r.action!.startsWith('release.') ? 'release' : 'audit';
}

function toEvent(r: Row): LogEvent {
  const usage = r.source === SOURCE.usage;
  return {
    id: encodePosition({ xid: r.xid, source: r.source as Position['source'], id: r.id }),
    type: typeOf(r),
    at: r.at.toISOString(),
    keyId: r.key_id,
    keyName: r.key_name,
    route: r.route,
    outcome: r.outcome,
    latencyMs: r.latency_ms === null ? null : Math.round(r.latency_ms * 1000) / 1000,
    count: r.count,
    clientAddr: r.client_addr,
    action: r.action,
    actor: r.actor,
    target: r.target,
    detail: usage
      ? null
      : r.source === SOURCE.delivery
        ? deliveryDetail(r.data)
        : detailOf(r.action!, r.data),
  };
}

/**
 * One page of the environment's log in position order, from both sources. Only rows written by
 * transactions older than this statement's xmin are read (position.ts): a reader never runs
 * ahead of a transaction that could still commit behind it. Answers the events and that xmin,
 * which is where a reader with nothing newer resumes.
 */
export async function readLog(
  pool: pg.Pool,
  scope: LogScope,
  filter: LogFilter,
  read: LogRead,
): Promise<{ events: LogEvent[]; horizon: string }> {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const dir = read.newest ? 'DESC' : 'ASC';
  const after = read.after
    ? (col: string, source: number, idCol = 'id') =>
        `AND (${col}, ${source}, ${idCol}) > (${p(read.after!.xid)}::xid8, ${p(read.after!.source)}::int, ${p(read.after!.id)}::bigint)`
    : () => '';
  const time = (col: string) =>
    `${read.since ? `AND ${col} >= ${p(read.since)}` : ''} ${read.until ? `AND ${col} < ${p(read.until)}` : ''}`;
  const limit = p(read.limit);
  const parts: string[] = [];

  const usageTypes = USAGE_TYPES.filter((t) => filter.types.has(t));
  if (usageTypes.length > 0) {
    const outcomes =
      usageTypes.length === 3
        ? ''
        : `AND (${usageTypes
            .map((t) =>
              t === 'verify'
                ? `outcome = 'VALID'`
                : t === 'rate_limited'
                  ? `outcome = 'RATE_LIMITED'`
                  : `outcome NOT IN ('VALID', 'RATE_LIMITED')`,
            )
            .join(' OR ')})`;
    parts.push(`(SELECT ${SOURCE.usage} AS source, xid::text AS xid, id, at, key_id, key_name, route, outcome,
        latency_ms / count AS latency_ms, count, client_addr, NULL::text AS action, NULL::text AS actor,
        NULL::text AS target, NULL::jsonb AS data
      FROM usage_events, s
      WHERE environment_id = ${p(scope.environmentId)} AND xid < s.xmin ${after('xid', SOURCE.usage)}
        ${time('at')} ${outcomes} ${filter.keyId ? `AND key_id = ${p(filter.keyId)}` : ''}
      ORDER BY xid ${dir}, id ${dir} LIMIT ${limit})`);
  }
  const auditTypes = (['audit', 'release'] as const).filter((t) => filter.types.has(t));
  if (auditTypes.length > 0) {
    const actions =
      auditTypes.length === 2
        ? ''
        : auditTypes[0] === 'release'
          ? `AND action LIKE 'release.%'`
          : `AND action NOT LIKE 'release.%'`;
    const mine = `((data->>'project' = ${p(scope.projectName)} AND data->>'environment' = ${p(scope.environmentName)})
        OR (target_type = 'environment' AND target_id = ${p(scope.environmentId)}))`;
    parts.push(`(SELECT ${SOURCE.audit} AS source, log_xid::text AS xid, id, created_at AS at,
        NULL::text AS key_id, NULL::text AS key_name, NULL::text AS route, NULL::text AS outcome,
        NULL::real AS latency_ms, 1 AS count, NULL::text AS client_addr, action, actor_label AS actor,
        CASE WHEN target_type IS NULL THEN NULL ELSE target_type || ':' || target_id END AS target, data
      FROM audit_events, s
      WHERE org_id = ${p(scope.orgId)} AND log_xid < s.xmin AND ${mine} ${after('log_xid', SOURCE.audit)}
        ${time('created_at')} ${actions}
        ${filter.keyId ? `AND target_type = 'api_key' AND target_id = ${p(filter.keyId)}` : ''}
      ORDER BY log_xid ${dir}, id ${dir} LIMIT ${limit})`);
  }
  // Delivery attempts of the environment's effects (app effects sent to it, webhook events of its
  // changes). A filter by key shows that key's events only, and deliveries belong to none.
  if (filter.types.has('delivery') && !filter.keyId) {
    parts.push(`(SELECT ${SOURCE.delivery} AS source, a.log_xid::text AS xid, a.log_id AS id, a.started_at AS at,
        NULL::text AS key_id, NULL::text AS key_name, NULL::text AS route, a.outcome,
        a.latency_ms::real AS latency_ms, 1 AS count, NULL::text AS client_addr,
        coalesce(f.event_type, 'effect') AS action, NULL::text AS actor,
        CASE WHEN f.endpoint_id IS NULL THEN 'effect:' || f.id ELSE 'webhook_endpoint:' || f.endpoint_id END AS target,
        jsonb_build_object('attempt', a.attempt, 'status', a.status, 'error', a.error) AS data
      FROM effect_attempts a JOIN effects f ON f.id = a.effect_id, s
      WHERE a.environment_id = ${p(scope.environmentId)} AND a.log_xid < s.xmin
        ${after('a.log_xid', SOURCE.delivery, 'a.log_id')} ${time('a.started_at')}
      ORDER BY a.log_xid ${dir}, a.log_id ${dir} LIMIT ${limit})`);
  }
  const snapshot = 'WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)';
  if (parts.length === 0 || read.limit === 0) {
    const { rows } = await pool.query<{ xmin: string }>(`${snapshot} SELECT xmin::text FROM s`);
    return { events: [], horizon: rows[0]!.xmin };
  }
  const { rows } = await pool.query<Row & { horizon: string }>(
    `${snapshot}, e AS (${parts.join(' UNION ALL ')})
     SELECT e.*, s.xmin::text AS horizon FROM s LEFT JOIN e ON true
     ORDER BY e.xid::xid8 ${dir}, e.source ${dir}, e.id ${dir} LIMIT ${limit}`,
    params,
  );
  const horizon = rows[0]!.horizon;
  return { events: rows.filter((r) => r.id !== null).map(toEvent), horizon };
}
