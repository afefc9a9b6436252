import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { DbOrTx } from './db.js';

/**
 * The cross-node event bus: PostgreSQL LISTEN/NOTIFY on one channel. Events carry ids and key
 * hashes (hex), never a token. Database triggers (migration 0004) publish changes to API keys and
 * manifests inside the changing transaction, so every writer, cascade deletes included, notifies,
 * and the notification is delivered only if and when that transaction commits.
 */
export const EVENTS_CHANNEL = 'latch_events';

export type BusEvent = { kind: string } & Record<string, unknown>;

export type BusSubscriber = {
  event(event: BusEvent): void;
  /**
   * The listener connected (true) or lost its connection (false). While it is away, changes are
   * not heard; they are not lost either: on reconnecting, the bus reads what it missed from the
   * shared key-event log (migration 0024) and delivers those events before `status(true)`. A
   * cache may keep serving meanwhile, for a bounded time of its own choosing.
   */
  status?(connected: boolean): void;
  /**
   * Events were lost for good (the log no longer reaches back to where the bus was, or this is
   * the first connection and nothing is known): drop everything cached from the database.
   */
  reset?(): void;
};

export type EventBus = {
  readonly connected: boolean;
  /** Since when (epoch ms) the listener has been away, or null while it is connected. */
  readonly downSince: number | null;
  subscribe(subscriber: BusSubscriber): () => void;
  /** Connects the listener; resolves after the first attempt, retrying in the background. */
  start(): Promise<void>;
  close(): Promise<void>;
};

/** Publishes inside the caller's transaction: delivered on commit, dropped on rollback. */
export async function publish(db: DbOrTx, event: BusEvent): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`);
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
// A half-open TCP connection delivers nothing and reports no error: a periodic round trip notices.
// Every 5 s, 3 s to answer: a partition is noticed within 8 s (then /health says so, and the
// caches switch to their outage behaviour).
const PING_EVERY_MS = 5_000;
const PING_TIMEOUT_MS = 3_000;
// A catch-up re-reads rows written this long before the last id heard: ids are taken in one
// order and committed in another, and an eviction delivered twice costs nothing.
const CATCH_UP_MARGIN = '1 minute';
// Rows older than this are deleted; an SDK or node further behind starts over with an empty cache.
export const KEY_EVENTS_KEPT = '1 day';
const PRUNE_EVERY_MS = 10 * 60_000;

type LogRow = { id: string; environment_id: string; kind: string; hashes: string[] };

/** A key-event log row as the bus event its trigger notified. */
export function busEventOf(row: LogRow): BusEvent {
  return row.kind === 'manifest'
    ? { kind: 'manifest.changed', id: Number(row.id), environmentId: row.environment_id }
    : {
        kind: 'sdk.key',
        id: Number(row.id),
        change: row.kind,
        environmentId: row.environment_id,
        hashes: row.hashes,
      };
}

/**
 * The rows after `position`, with the margin above; null when the log no longer reaches back
 * that far (deleted as too old), so the gap cannot be bridged.
 */
export async function readKeyEventsAfter(
  q: Pick<pg.ClientBase, 'query'>,
  position: number,
  environmentId?: string,
): Promise<LogRow[] | null> {
  const { rows: first } = await q.query<{ min: string | null }>(
    'SELECT min(id)::text AS min FROM key_events',
  );
  if (first[0]?.min != null && Number(first[0].min) > position + 1) return null;
  const { rows } = await q.query<LogRow>(
    `SELECT id::text, environment_id, kind, hashes FROM key_events
      WHERE ($2::text IS NULL OR environment_id = $2)
        AND (id > $1 OR at >= (SELECT at FROM key_events WHERE id = $1) - interval '${CATCH_UP_MARGIN}')
      ORDER BY id`,
    [position, environmentId ?? null],
  );
  return rows;
}

/** The newest id in the log (0 when empty): a position to resume from. */
export async function keyEventsHead(q: Pick<pg.ClientBase, 'query'>): Promise<number> {
  const { rows } = await q.query<{ max: string | null }>('SELECT max(id)::text AS max FROM key_events');
  return Number(rows[0]?.max ?? 0);
}

type Log = { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };

/** One dedicated connection (not from the pool: LISTEN is per session), reconnecting with backoff. */
export function createEventBus(pool: pg.Pool, log?: Log): EventBus {
  const subscribers = new Set<BusSubscriber>();
  let client: pg.Client | null = null;
  let connected = false;
  let downSince: number | null = Date.now();
  // The newest key-event id this node has applied; null before the first connection.
  let position: number | null = null;
  let closed = false;
  let prune: NodeJS.Timeout | undefined;
  let backoff = BACKOFF_MIN_MS;
  let retry: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;

  const each = (fn: (s: BusSubscriber) => void) => {
    for (const s of subscribers) {
      try {
        fn(s);
      } catch (err) {
        log?.warn({ err }, 'event subscriber failed');
      }
    }
  };

  function setConnected(value: boolean) {
    connected = value;
    downSince = value ? null : Date.now();
    each((s) => s.status?.(value));
  }

  function deliver(event: BusEvent) {
    if (typeof event.id === 'number' && (position === null || event.id > position)) position = event.id;
    each((s) => s.event(event));
  }

  function onNotification(msg: pg.Notification) {
    if (msg.channel !== EVENTS_CHANNEL || !msg.payload) return;
    let event: BusEvent;
    try {
      event = JSON.parse(msg.payload) as BusEvent;
    } catch {
      return;
    }
    if (typeof event?.kind === 'string') deliver(event);
  }

  function lost(which: pg.Client, err?: unknown) {
    if (client !== which) return;
    client = null;
    clearInterval(ping);
    which.removeAllListeners('notification');
    which.end().catch(() => {});
    if (connected) {
      log?.warn(
        { err },
        'event listener lost its database connection; caches serve within their outage grace, and missed changes are read back on reconnect',
      );
      setConnected(false);
    }
    schedule();
  }

  function schedule() {
    if (closed || retry) return;
    const wait = backoff;
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, wait);
    retry.unref();
  }

  async function connect(): Promise<void> {
    if (closed || client) return;
    const next = new pg.Client({ ...pool.options, keepAlive: true });
    client = next;
    next.on('error', (err) => lost(next, err));
    next.on('end', () => lost(next));
    next.on('notification', onNotification);
    try {
      await next.connect();
      await next.query(`LISTEN ${EVENTS_CHANNEL}`);
      // Listening first, then reading the log: a change is in the rows read, or notified after.
      if (position === null) {
        position = await keyEventsHead(next);
        // Nothing was cached against this bus before it first connected; start clean anyway.
        each((s) => s.reset?.());
      } else {
        const missed = await readKeyEventsAfter(next, position);
        if (missed === null) {
          log?.warn({}, 'event listener was away longer than the key-event log reaches back; caches dropped');
          position = await keyEventsHead(next);
          each((s) => s.reset?.());
        } else for (const row of missed) deliver(busEventOf(row));
      }
    } catch (err) {
      lost(next, err);
      return;
    }
    if (closed || client !== next) {
      await next.end().catch(() => {});
      return;
    }
    backoff = BACKOFF_MIN_MS;
    ping = setInterval(() => {
      const timeout = setTimeout(() => lost(next, new Error('ping timed out')), PING_TIMEOUT_MS);
      next.query('SELECT 1').then(
        () => clearTimeout(timeout),
        (err) => {
          clearTimeout(timeout);
          lost(next, err);
        },
      );
    }, PING_EVERY_MS);
    ping.unref();
    clearInterval(prune);
    prune = setInterval(() => {
      pool.query(`DELETE FROM key_events WHERE at < now() - interval '${KEY_EVENTS_KEPT}'`).catch(() => {});
    }, PRUNE_EVERY_MS);
    prune.unref();
    setConnected(true);
  }

  return {
    get connected() {
      return connected;
    },
    get downSince() {
      return downSince;
    },
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    start: () => connect(),
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(ping);
      clearInterval(prune);
      const c = client;
      client = null;
      if (connected) setConnected(false);
      if (c) {
        c.removeAllListeners('notification');
        await c.end().catch(() => {});
      }
    },
  };
}
