import {
  AppError,
  type Effect,
  type EffectDetail,
  type EffectsStatus,
  HOUR,
  MAX_EFFECT_PAYLOAD_BYTES,
  parseDuration,
} from '@latchkey/core';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { decodeCursor, encodeCursor, type Page } from '../../store/pagination.js';
import { type Actor, type OrgContext, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import * as envRepo from '../projects/environments.repo.js';
import type { ProjectsService } from '../projects/projects.service.js';
import { DUE_NOW, type EffectRow, insertEffect, rowOf } from './queue.js';
import { policySchedule } from './schedule.js';
import { checkUrl, type TargetPolicy } from './target.js';

const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;
const PURGEABLE = ['dead', 'delivered', 'cancelled'] as const;
const MIN_PURGE_AGE_MS = HOUR;

export function toEffect(r: EffectRow & { project_name?: string | null }): Effect {
  const waiting = r.state === 'pending' || r.state === 'retrying';
  const next = r.next_attempt_at.getTime() === DUE_NOW.getTime() ? r.created_at : r.next_attempt_at;
  return {
    id: r.id,
    messageId: r.message_id,
    kind: r.kind,
    eventType: r.event_type,
    endpointId: r.endpoint_id,
    project: r.project_name ?? null,
    url: r.url,
    state: r.state as Effect['state'],
    attempts: r.attempts,
    maxAttempts: r.schedule.length + 1,
    nextAttemptAt: waiting ? new Date(next).toISOString() : null,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: new Date(r.created_at).toISOString(),
    deliveredAt: r.delivered_at ? new Date(r.delivered_at).toISOString() : null,
  };
}

function notFound(id: string, org: OrgContext): AppError {
  return new AppError('NOT_FOUND', `No effect ${id} in ${org.name}.`, {
    hint: 'Run `latch effects list` to see the ids.',
  });
}

export type EffectsService = ReturnType<typeof createEffectsService>;

export function createEffectsService({
  db,
  clock,
  projects,
  policy,
}: {
  db: Db;
  clock: Clock;
  projects: ProjectsService;
  policy: TargetPolicy;
}) {
  async function get(org: OrgContext, id: string): Promise<EffectRow & { project_name: string | null }> {
    const res = await db.execute(sql`
      SELECT e.*, p.name AS project_name FROM effects e LEFT JOIN projects p ON p.id = e.project_id
      WHERE e.id = ${id} AND e.org_id = ${org.id}`);
    const row = res.rows[0];
    if (!row) throw notFound(id, org);
    return { ...rowOf(row), project_name: (row.project_name as string | null) ?? null };
  }

  async function environmentFilter(actor: Actor, org: OrgContext, env: string | undefined) {
    if (!env) return sql``;
    const res = await db.execute(
      sql`SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.org_id = ${org.id} AND e.name = ${env}`,
    );
    void actor;
    const ids = res.rows.map((r) => r.id as string);
    return sql`AND environment_id = ANY(${`{${ids.join(',')}}`}::text[])`;
  }

  return {
    async enqueue(
      actor: Actor,
      projectRef: string,
      input: {
        url: string;
        payload?: unknown;
        headers?: Record<string, string> | undefined;
        retry?: { maxAttempts?: number | undefined; backoffSeconds?: number[] | undefined } | undefined;
        idempotencyKey?: string | undefined;
        environment?: string | undefined;
      },
    ): Promise<Effect & { duplicate: boolean }> {
      const org = requirePermission(actor, 'effects:write');
      const url = checkUrl(input.url, policy).href;
      const payload = JSON.stringify(input.payload ?? null);
      if (Buffer.byteLength(payload) > MAX_EFFECT_PAYLOAD_BYTES) {
        throw new AppError(
          'INVALID_INPUT',
          `The payload is ${Buffer.byteLength(payload)} bytes; effects carry at most 256 KiB.`,
          {
            hint: 'Send a smaller payload, e.g. an id the receiver looks up.',
            details: { field: 'payload', limit: MAX_EFFECT_PAYLOAD_BYTES },
          },
        );
      }
      const project = await projects.resolve(actor, projectRef);
      let environmentId: string | null = null;
      if (input.environment) {
        const env = await envRepo.findByRef(db, project.id, input.environment);
        if (!env) {
          throw new AppError('NOT_FOUND', `No environment ${input.environment} in ${project.name}.`, {
            hint: `Run \`latch env list --project ${project.name}\`.`,
          });
        }
        environmentId = env.id;
      }
      const retry = input.retry
        ? {
            ...(input.retry.maxAttempts ? { maxAttempts: input.retry.maxAttempts } : {}),
            ...(input.retry.backoffSeconds ? { backoffSeconds: input.retry.backoffSeconds } : {}),
          }
        : undefined;
      const now = clock.now();
      const key = input.idempotencyKey ?? null;
      const effect = {
        orgId: org.id,
        projectId: project.id,
        environmentId,
        kind: 'app' as const,
        url,
        headers: input.headers ?? {},
        payload,
        schedule: policySchedule(retry),
        idempotencyKey: key,
        at: now,
      };
      if (!key) {
        // One statement, atomic alone: no transaction, one round trip.
        const row = (await insertEffect(db, effect)) as EffectRow;
        return { ...toEffect({ ...row, project_name: project.name }), duplicate: false };
      }
      return db.transaction(async (tx) => {
        // An older key is released; a key within 24 hours answers with the first effect.
        await tx.execute(sql`
          UPDATE effects SET idempotency_key = NULL
          WHERE project_id = ${project.id} AND idempotency_key = ${key}
            AND created_at < ${new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS)}`);
        const row = await insertEffect(tx, effect);
        if (!row) {
          const res = await tx.execute(
            sql`SELECT * FROM effects WHERE project_id = ${project.id} AND idempotency_key = ${key}`,
          );
          return {
            ...toEffect({ ...rowOf(res.rows[0] as Record<string, unknown>), project_name: project.name }),
            duplicate: true,
          };
        }
        return { ...toEffect({ ...row, project_name: project.name }), duplicate: false };
      });
    },

    async status(actor: Actor, query: { environment?: string | undefined }): Promise<EffectsStatus> {
      const org = requirePermission(actor, 'effects:read');
      const envSql = await environmentFilter(actor, org, query.environment);
      const now = clock.now();
      const counts = await db.execute(sql`
        SELECT state, count(*)::int AS n FROM effects WHERE org_id = ${org.id} ${envSql} GROUP BY state`);
      const oldest = await db.execute(sql`
        SELECT min(created_at) AS at FROM effects WHERE org_id = ${org.id} ${envSql} AND state = 'pending'`);
      const rate = await db.execute(sql`
        SELECT count(*)::int AS n FROM effects WHERE org_id = ${org.id} ${envSql}
          AND state = 'delivered' AND delivered_at >= ${new Date(now.getTime() - 5 * 60_000)}`);
      const failures = await db.execute(sql`
        SELECT id, url, last_status, last_error, updated_at FROM effects
        WHERE org_id = ${org.id} ${envSql} AND state IN ('retrying', 'dead') ORDER BY updated_at DESC LIMIT 5`);
      const byState: Record<string, number> = {
        pending: 0,
        in_flight: 0,
        retrying: 0,
        delivered: 0,
        dead: 0,
        cancelled: 0,
      };
      for (const r of counts.rows) byState[r.state as string] = r.n as number;
      const oldestAt = oldest.rows[0]?.at;
      const delivered5 = (rate.rows[0]?.n as number) ?? 0;
      return {
        counts: byState,
        oldestPendingSeconds: oldestAt
          ? Math.max(0, Math.round((now.getTime() - new Date(oldestAt as string).getTime()) / 1000))
          : null,
        deliveredLast5Minutes: delivered5,
        perMinute: Math.round((delivered5 / 5) * 10) / 10,
        latestFailures: failures.rows.map((r) => ({
          id: r.id as string,
          url: r.url as string,
          status: (r.last_status as number | null) ?? null,
          error: (r.last_error as string | null) ?? null,
          at: new Date(r.updated_at as string).toISOString(),
        })),
      };
    },

    async list(
      actor: Actor,
      query: {
        limit: number;
        cursor?: string | undefined;
        state?: string | undefined;
        endpoint?: string | undefined;
        environment?: string | undefined;
      },
    ): Promise<Page<Effect>> {
      const org = requirePermission(actor, 'effects:read');
      const cursor = decodeCursor(query.cursor);
      const envSql = await environmentFilter(actor, org, query.environment);
      const res = await db.execute(sql`
        SELECT e.*, p.name AS project_name FROM effects e LEFT JOIN projects p ON p.id = e.project_id
        WHERE e.org_id = ${org.id} ${envSql}
          ${query.state ? sql`AND e.state = ${query.state}` : sql``}
          ${query.endpoint ? sql`AND e.endpoint_id = ${query.endpoint}` : sql``}
          ${cursor ? sql`AND (e.created_at, e.id) < (${cursor.at}, ${cursor.id})` : sql``}
        ORDER BY e.created_at DESC, e.id DESC LIMIT ${query.limit + 1}`);
      const rows = res.rows.map((r) => ({
        ...rowOf(r),
        project_name: (r.project_name as string | null) ?? null,
      }));
      const more = rows.length > query.limit;
      const kept = more ? rows.slice(0, query.limit) : rows;
      const last = kept[kept.length - 1];
      return {
        items: kept.map(toEffect),
        nextCursor: more && last ? encodeCursor({ at: last.created_at, id: last.id }) : null,
      };
    },

    async show(actor: Actor, id: string): Promise<EffectDetail> {
      const org = requirePermission(actor, 'effects:read');
      const row = await get(org, id);
      const attempts = await db.execute(sql`
        SELECT * FROM effect_attempts WHERE effect_id = ${id} ORDER BY attempt`);
      return {
        ...toEffect(row),
        attemptLog: attempts.rows.map((a) => ({
          attempt: a.attempt as number,
          startedAt: new Date(a.started_at as string).toISOString(),
          latencyMs: (a.latency_ms as number | null) ?? null,
          status: (a.status as number | null) ?? null,
          outcome: a.outcome as string,
          error: (a.error as string | null) ?? null,
          responseSnippet: (a.response_snippet as string | null) ?? null,
        })),
      };
    },

    /** Dead, failed-and-waiting or cancelled: due now, with one more attempt than it has had. */
    async retry(actor: Actor, id: string): Promise<Effect> {
      const org = requirePermission(actor, 'effects:write');
      const before = await get(org, id);
      if (before.state === 'delivered' || before.state === 'in_flight' || before.state === 'pending') {
        throw new AppError(
          'CONFLICT',
          `Effect ${id} is ${before.state.replace('_', ' ')}: there is nothing to retry.`,
          {
            hint:
              before.state === 'delivered'
                ? 'To send it again, use `latch effects replay`.'
                : 'It will be attempted shortly.',
          },
        );
      }
      return db.transaction(async (tx) => {
        // The schedule grows by one delay if its attempts are used up, so a retried dead effect
        // gets exactly one more attempt (and the schedule's end if that fails).
        await tx.execute(sql`
          UPDATE effects SET state = 'retrying', next_attempt_at = ${DUE_NOW}, updated_at = ${clock.now()},
            schedule = CASE WHEN attempts >= cardinality(schedule) + 1 THEN schedule || 0 ELSE schedule END
          WHERE id = ${id}`);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'effect.retried',
          target: { type: 'effect', id },
        });
        const res = await tx.execute(sql`SELECT * FROM effects WHERE id = ${id}`);
        return toEffect({
          ...rowOf(res.rows[0] as Record<string, unknown>),
          project_name: before.project_name,
        });
      });
    },

    async cancel(actor: Actor, id: string): Promise<Effect> {
      const org = requirePermission(actor, 'effects:write');
      const before = await get(org, id);
      return db.transaction(async (tx) => {
        const res = await tx.execute(sql`
          UPDATE effects SET state = 'cancelled', updated_at = ${clock.now()}
          WHERE id = ${id} AND state IN ('pending', 'retrying') RETURNING *`);
        if (!res.rows[0]) {
          throw new AppError(
            'CONFLICT',
            `Effect ${id} is ${before.state.replace('_', ' ')}: only pending or retrying effects can be cancelled.`,
            {
              hint:
                before.state === 'in_flight'
                  ? 'An attempt is under way; cancel after it if it fails.'
                  : 'Nothing to cancel.',
            },
          );
        }
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'effect.cancelled',
          target: { type: 'effect', id },
        });
        return toEffect({ ...rowOf(res.rows[0]), project_name: before.project_name });
      });
    },

    /**
     * Everything the endpoint was sent since `since`, sent again as new effects with the same
     * webhook-id, so a receiver that already has one recognises it.
     */
    async replay(actor: Actor, input: { endpoint: string; since: string }): Promise<{ enqueued: number }> {
      const org = requirePermission(actor, 'effects:write');
      const now = clock.now();
      return db.transaction(async (tx) => {
        const ep = await tx.execute(
          sql`SELECT id, url FROM webhook_endpoints WHERE id = ${input.endpoint} AND org_id = ${org.id}`,
        );
        const endpoint = ep.rows[0] as { id: string; url: string } | undefined;
        if (!endpoint) {
          throw new AppError('NOT_FOUND', `No webhook endpoint ${input.endpoint} in ${org.name}.`, {
            hint: 'Run `latch webhooks list` to see the ids.',
          });
        }
        // One copy per message: replaying twice does not multiply a message already waiting.
        const res = await tx.execute(sql`
          INSERT INTO effects (id, message_id, org_id, project_id, environment_id, endpoint_id, kind, event_type, url,
            payload, state, schedule, next_attempt_at, created_at, updated_at)
          SELECT 'eff_' || replace(gen_random_uuid()::text, '-', ''), src.message_id, src.org_id, src.project_id,
            src.environment_id, src.endpoint_id, 'webhook', src.event_type, ${endpoint.url}, src.payload, 'pending',
            src.schedule, ${DUE_NOW}, ${now}, ${now}
          FROM (SELECT DISTINCT ON (message_id) * FROM effects
                WHERE endpoint_id = ${endpoint.id} AND created_at >= ${new Date(input.since)}
                ORDER BY message_id, created_at) src
          WHERE NOT EXISTS (SELECT 1 FROM effects w WHERE w.message_id = src.message_id AND w.state IN ('pending', 'retrying', 'in_flight'))
          RETURNING id`);
        const enqueued = res.rows.length;
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'effects.replayed',
          target: { type: 'webhook_endpoint', id: endpoint.id },
          data: { since: input.since, enqueued },
        });
        if (enqueued > 0)
          await tx.execute(sql`SELECT pg_notify('latch_events', '{"kind":"effects.enqueued"}')`);
        return { enqueued };
      });
    },

    /**
     * Deletes finished effects last updated before now minus `olderThan` (their attempts go by
     * the foreign key's cascade, and with them their delivery lines in `latch logs`). One
     * transaction and one audit entry carrying the count; a dry run only counts.
     */
    async purge(
      actor: Actor,
      input: {
        state: string;
        olderThan: string;
        endpoint?: string | undefined;
        environment?: string | undefined;
        dryRun?: boolean | undefined;
      },
    ): Promise<{ count: number; dryRun: boolean }> {
      const org = requirePermission(actor, 'effects:manage');
      if (!(PURGEABLE as readonly string[]).includes(input.state)) {
        throw new AppError('INVALID_INPUT', `Effects in state "${input.state}" cannot be purged.`, {
          hint: 'Purge only finished effects: --state dead, delivered or cancelled. Cancel waiting ones first.',
          details: { field: 'state', allowed: [...PURGEABLE] },
        });
      }
      const ms = parseDuration(input.olderThan);
      if (ms === null || ms < MIN_PURGE_AGE_MS) {
        throw new AppError(
          'INVALID_INPUT',
          ms === null
            ? `"${input.olderThan}" is not a duration.`
            : `--older-than ${input.olderThan} is too short: the minimum is 1h.`,
          { hint: 'Use e.g. --older-than 7d, 48h or 1h.', details: { field: 'olderThan' } },
        );
      }
      const envSql = await environmentFilter(actor, org, input.environment);
      const before = new Date(clock.now().getTime() - ms);
      const where = sql`org_id = ${org.id} AND state = ${input.state} AND updated_at < ${before}
        ${input.endpoint ? sql`AND endpoint_id = ${input.endpoint}` : sql``} ${envSql}`;
      if (input.dryRun) {
        const res = await db.execute(sql`SELECT count(*)::int AS n FROM effects WHERE ${where}`);
        return { count: (res.rows[0]?.n as number) ?? 0, dryRun: true };
      }
      return db.transaction(async (tx) => {
        const res = await tx.execute(sql`DELETE FROM effects WHERE ${where} RETURNING id`);
        const count = res.rows.length;
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'effects.purged',
          target: { type: 'org', id: org.id },
          data: {
            state: input.state,
            olderThan: input.olderThan,
            count,
            ...(input.endpoint ? { endpoint: input.endpoint } : {}),
            ...(input.environment ? { environment: input.environment } : {}),
          },
        });
        return { count, dryRun: false };
      });
    },
  };
}
