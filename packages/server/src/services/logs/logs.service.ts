import {
  DAY,
  HOUR,
  LOG_EVENT_TYPES,
  type LogEvent,
  type LogEventType,
  type LogListQuery,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { type Db, poolOf } from '../../store/db.js';
import type { Page } from '../../store/pagination.js';
import { type Actor, requirePermission } from '../actor.js';
import { invalidInput } from '../projects/projects.service.js';
import { type LogFilter, type LogScope, readLog } from './logs.repo.js';
import { decodePosition, encodePosition, type Position, SOURCE } from './position.js';
import { deleteUsageBefore } from './usage-events.repo.js';

type Deps = {
  db: Db;
  clock: Clock;
  retentionMs?: number | undefined;
  projects: { resolve(actor: Actor, ref: string): Promise<{ id: string; name: string }> };
  environments: {
    resolve(
      actor: Actor,
      projectId: string,
      ref: string,
    ): Promise<{ id: string; orgId: string; name: string }>;
  };
};

export const DEFAULT_USAGE_RETENTION_MS = 30 * DAY;
const RETENTION_EVERY_MS = HOUR;
/** How often a live stream asks for new rows, and how many it takes per ask. */
export const TAIL_POLL_MS = 500;
const TAIL_BATCH = 500;

export type LogCursor = { scope: LogScope; filter: LogFilter; position: Position };
export type LogStreamOpen = { cursor: LogCursor; backlog: LogEvent[] };

function filterOf(type: string | undefined, key: string | undefined): LogFilter {
  const types = new Set<LogEventType>(
    type ? (type.split(',') as LogEventType[]) : (LOG_EVENT_TYPES as readonly LogEventType[]),
  );
  return { types, keyId: key };
}

/**
 * `latch logs`: one environment's verifications (from SDK usage reports), audit events and
 * releases, in log-position order (position.ts), and the retention job of usage events.
 */
export function createLogsService({ db, clock, projects, environments, retentionMs }: Deps) {
  const pool = poolOf(db);
  const retention = retentionMs ?? DEFAULT_USAGE_RETENTION_MS;
  let timer: NodeJS.Timeout | undefined;

  async function scopeOf(actor: Actor, projectRef: string, envRef: string): Promise<LogScope> {
    requirePermission(actor, 'logs:read');
    const project = await projects.resolve(actor, projectRef);
    const env = await environments.resolve(actor, project.id, envRef);
    return { orgId: env.orgId, environmentId: env.id, projectName: project.name, environmentName: env.name };
  }

  /** Usage rows older than the retention go; answers how many. */
  async function purge(): Promise<number> {
    return deleteUsageBefore(pool, new Date(clock.now().getTime() - retention));
  }

  return {
    retentionMs: retention,
    purge,

    async list(actor: Actor, projectRef: string, envRef: string, q: LogListQuery): Promise<Page<LogEvent>> {
      const scope = await scopeOf(actor, projectRef, envRef);
      const after = q.cursor ? decodePosition(q.cursor) : undefined;
      if (after === null)
        throw invalidInput('cursor', 'must be the nextCursor of a previous page', 'Start without it.');
      const now = clock.now().getTime();
      const since = q.since ? new Date(q.since) : new Date(now - HOUR);
      const until = q.until ? new Date(q.until) : undefined;
      if (until && until <= since)
        throw invalidInput('until', 'must be after since', 'Swap or widen the window.');
      const limit = Number(q.limit ?? 500);
      const { events } = await readLog(pool, scope, filterOf(q.type, q.key), { after, since, until, limit });
      return { items: events, nextCursor: events.length === limit ? events.at(-1)!.id : null };
    },

    /**
     * Resolves a stream (404, permission) and where it starts: after `lastEventId` when resuming,
     * else after the newest `backlog` events, which it answers (oldest first).
     */
    async open(
      actor: Actor,
      projectRef: string,
      envRef: string,
      q: {
        type?: string | undefined;
        key?: string | undefined;
        backlog: number;
        lastEventId?: string | undefined;
      },
    ): Promise<LogStreamOpen> {
      const scope = await scopeOf(actor, projectRef, envRef);
      const filter = filterOf(q.type, q.key);
      if (q.lastEventId !== undefined) {
        const position = decodePosition(q.lastEventId);
        if (position) return { cursor: { scope, filter, position }, backlog: [] };
        // A malformed Last-Event-ID header (the query is checked by its schema): start afresh.
      }
      const { events, horizon } = await readLog(pool, scope, filter, { limit: q.backlog, newest: true });
      events.reverse();
      const last = events.at(-1);
      const position = last
        ? (decodePosition(last.id) as Position)
        : { xid: horizon, source: SOURCE.horizon, id: '0' };
      return { cursor: { scope, filter, position }, backlog: events };
    },

    /** The events after the cursor (at most one batch), moving it past them. */
    async next(cursor: LogCursor): Promise<LogEvent[]> {
      const { events } = await readLog(pool, cursor.scope, cursor.filter, {
        after: cursor.position,
        limit: TAIL_BATCH,
      });
      const last = events.at(-1);
      if (last) cursor.position = decodePosition(last.id) as Position;
      return events;
    },

    position: (cursor: LogCursor) => encodePosition(cursor.position),

    startRetention(log: (err: unknown) => void): void {
      if (timer) return;
      const run = () => void purge().catch(log);
      run();
      timer = setInterval(run, RETENTION_EVERY_MS);
      timer.unref();
    },
    stopRetention(): void {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

export type LogsService = ReturnType<typeof createLogsService>;
