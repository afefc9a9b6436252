import {
  AppError,
  DEFAULT_RETRY_SCHEDULE,
  type PageQuery,
  type WebhookEndpoint,
  type WebhookEndpointWithSecret,
} from '@latchkey/core';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { decodeCursor, encodeCursor, type Page } from '../../store/pagination.js';
import { type Actor, type OrgContext, requirePermission } from '../actor.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
import { sealUnderMasterKey } from '../secrets/crypto.js';
import { eventBody } from './events.js';
import { type EffectRow, insertEffect } from './queue.js';
import { newWebhookSecret } from './signing.js';
import { checkUrl, type TargetPolicy } from './target.js';
import { SECRET_LABEL } from './worker.js';

/** Both secrets sign for this long after rotate-secret, so receivers can switch without a gap. */
export const SECRET_OVERLAP_MS = 24 * 3600 * 1000;

/** Timestamps arrive as Date (node-pg) or as text (drizzle's execute leaves timestamptz as text). */
type Stamp = Date | string;

type EndpointRow = {
  id: string;
  org_id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: Stamp | null;
  previous_expires_at: Stamp | null;
  created_at: Stamp;
};

const COLUMNS = sql.raw(
  'id, org_id, url, description, events, enabled, disabled_reason, failing_since, previous_expires_at, created_at',
);

const dateOf = (v: Stamp | null): Date | null => (v == null ? null : new Date(v));

export function toEndpoint(r: EndpointRow, now: Date): WebhookEndpoint {
  const expires = dateOf(r.previous_expires_at);
  const overlap = expires && expires.getTime() > now.getTime() ? expires : null;
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    events: r.events,
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    failingSince: dateOf(r.failing_since)?.toISOString() ?? null,
    previousSecretExpiresAt: overlap?.toISOString() ?? null,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

function notFound(id: string, org: OrgContext): AppError {
  return new AppError('NOT_FOUND', `No webhook endpoint ${id} in ${org.name}.`, {
    hint: 'Run `latch webhooks list` to see the ids.',
  });
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;

export function createWebhooksService({
  db,
  clock,
  masterKey,
  policy,
}: {
  db: Db;
  clock: Clock;
  masterKey: Buffer | null;
  policy: TargetPolicy;
}) {
  function seal(secret: string, id: string): Buffer {
    if (!masterKey) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'This server has no master key, so it cannot store webhook secrets.',
        {
          hint: 'Start the server with LATCH_MASTER_KEY set.',
        },
      );
    }
    return sealUnderMasterKey(masterKey, secret, SECRET_LABEL, id);
  }

  async function find(tx: DbOrTx, org: OrgContext, id: string, lock = false): Promise<EndpointRow> {
    const res = await tx.execute(
      sql`SELECT ${COLUMNS} FROM webhook_endpoints WHERE id = ${id} AND org_id = ${org.id} ${lock ? sql`FOR UPDATE` : sql``}`,
    );
    const row = res.rows[0] as EndpointRow | undefined;
    if (!row) throw notFound(id, org);
    return row;
  }

  return {
    async list(actor: Actor, query: PageQuery): Promise<Page<WebhookEndpoint>> {
      const org = requirePermission(actor, 'webhooks:read');
      const cursor = decodeCursor(query.cursor);
      const res = await db.execute(sql`
        SELECT ${COLUMNS} FROM webhook_endpoints WHERE org_id = ${org.id}
          ${cursor ? sql`AND (created_at, id) < (${cursor.at}, ${cursor.id})` : sql``}
        ORDER BY created_at DESC, id DESC LIMIT ${query.limit + 1}`);
      const rows = res.rows as EndpointRow[];
      const more = rows.length > query.limit;
      const kept = more ? rows.slice(0, query.limit) : rows;
      const last = kept[kept.length - 1];
      const now = clock.now();
      return {
        items: kept.map((r) => toEndpoint(r, now)),
        nextCursor: more && last ? encodeCursor({ at: new Date(last.created_at), id: last.id }) : null,
      };
    },

    async create(
      actor: Actor,
      input: { url: string; events: string[]; description?: string | undefined },
    ): Promise<WebhookEndpointWithSecret> {
      const org = requirePermission(actor, 'webhooks:write');
      const url = checkUrl(input.url, policy).href;
      const id = newId('whe');
      const secret = newWebhookSecret();
      const now = clock.now();
      const events = [...new Set(input.events)];
      return db.transaction(async (tx) => {
        const res = await tx.execute(sql`
          INSERT INTO webhook_endpoints (id, org_id, url, description, events, secret_enc, created_by, created_at, updated_at)
          VALUES (${id}, ${org.id}, ${url}, ${input.description ?? null}, ${`{${events.join(',')}}`}::text[],
            ${seal(secret, id)}, ${actor.principal.kind === 'user' ? actor.principal.userId : null}, ${now}, ${now})
          RETURNING ${COLUMNS}`);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'webhook.created',
          target: { type: 'webhook_endpoint', id },
          data: { url, events },
        });
        return { ...toEndpoint(res.rows[0] as EndpointRow, now), secret };
      });
    },

    async update(
      actor: Actor,
      id: string,
      input: {
        url?: string | undefined;
        events?: string[] | undefined;
        description?: string | null | undefined;
        enabled?: boolean | undefined;
      },
    ): Promise<WebhookEndpoint> {
      const org = requirePermission(actor, 'webhooks:write');
      const url = input.url === undefined ? undefined : checkUrl(input.url, policy).href;
      const now = clock.now();
      return db.transaction(async (tx) => {
        await find(tx, org, id, true);
        const events = input.events ? [...new Set(input.events)] : undefined;
        const res = await tx.execute(sql`
          UPDATE webhook_endpoints SET
            url = coalesce(${url ?? null}, url),
            events = coalesce(${events ? `{${events.join(',')}}` : null}::text[], events),
            description = ${input.description === undefined ? sql`description` : sql`${input.description}`},
            enabled = coalesce(${input.enabled ?? null}::boolean, enabled),
            disabled_reason = CASE WHEN ${input.enabled ?? null}::boolean THEN NULL ELSE disabled_reason END,
            failing_since = CASE WHEN ${input.enabled ?? null}::boolean THEN NULL ELSE failing_since END,
            updated_at = ${now}
          WHERE id = ${id} RETURNING ${COLUMNS}`);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'webhook.updated',
          target: { type: 'webhook_endpoint', id },
          data: {
            ...(url ? { url } : {}),
            ...(events ? { events } : {}),
            ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
          },
        });
        return toEndpoint(res.rows[0] as EndpointRow, now);
      });
    },

    async delete(actor: Actor, id: string): Promise<WebhookEndpoint> {
      const org = requirePermission(actor, 'webhooks:manage');
      const now = clock.now();
      return db.transaction(async (tx) => {
        const row = await find(tx, org, id, true);
        // Waiting deliveries would go nowhere: cancelled, kept for the record.
        await tx.execute(sql`
          UPDATE effects SET state = 'cancelled', last_error = 'endpoint deleted', updated_at = ${now}
          WHERE endpoint_id = ${id} AND state IN ('pending', 'retrying')`);
        await tx.execute(sql`DELETE FROM webhook_endpoints WHERE id = ${id}`);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'webhook.deleted',
          target: { type: 'webhook_endpoint', id },
          data: { url: row.url },
        });
        return toEndpoint(row, now);
      });
    },

    /** A ping event, to this endpoint only, whatever it subscribes to. */
    async test(actor: Actor, id: string): Promise<EffectRow> {
      const org = requirePermission(actor, 'webhooks:write');
      const row = await find(db, org, id);
      const now = clock.now();
      return db.transaction(async (tx) => {
        const effect = await insertEffect(tx, {
          orgId: org.id,
          endpointId: id,
          kind: 'webhook',
          eventType: 'ping',
          url: row.url,
          payload: eventBody('ping', now, { endpoint: id, org: org.name }),
          schedule: [...DEFAULT_RETRY_SCHEDULE],
          at: now,
        });
        return effect as EffectRow;
      });
    },

    async rotateSecret(actor: Actor, id: string): Promise<WebhookEndpointWithSecret> {
      const org = requirePermission(actor, 'webhooks:write');
      const secret = newWebhookSecret();
      const now = clock.now();
      return db.transaction(async (tx) => {
        await find(tx, org, id, true);
        const res = await tx.execute(sql`
          UPDATE webhook_endpoints SET previous_secret_enc = secret_enc, secret_enc = ${seal(secret, id)},
            previous_expires_at = ${new Date(now.getTime() + SECRET_OVERLAP_MS)}, updated_at = ${now}
          WHERE id = ${id} RETURNING ${COLUMNS}`);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'webhook.secret_rotated',
          target: { type: 'webhook_endpoint', id },
        });
        return { ...toEndpoint(res.rows[0] as EndpointRow, now), secret };
      });
    },

    /** The worker's call: 5 days of nothing but failures. Audit entry and `endpoint.disabled` to the others. */
    async disableFailing(id: string, since: Date): Promise<void> {
      const system: AuditActor = { type: 'system', id: null, label: 'effects worker' };
      await db.transaction(async (tx) => {
        const res = await tx.execute(sql`
          UPDATE webhook_endpoints SET enabled = false, updated_at = ${clock.now()},
            disabled_reason = ${`every attempt failed since ${since.toISOString()}`}
          WHERE id = ${id} AND enabled RETURNING org_id, url`);
        const row = res.rows[0] as { org_id: string; url: string } | undefined;
        if (!row) return; // another node did it first
        await recordAudit(tx, system, {
          orgId: row.org_id,
          action: 'webhook.disabled',
          target: { type: 'webhook_endpoint', id },
          data: { url: row.url, failingSince: since.toISOString() },
        });
      });
    },
  };
}
