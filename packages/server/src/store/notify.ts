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
   * The listener connected or lost its connection: events may have been missed in between, so
   * anything cached from the database must be dropped. While `connected` is false, nothing
   * should be served from a cache that relies on this bus for invalidation.
   */
  reset(connected: boolean): void;
};

export type EventBus = {
  readonly connected: boolean;
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
const PING_EVERY_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;

type Log = { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };

/** One dedicated connection (not from the pool: LISTEN is per session), reconnecting with backoff. */
export function createEventBus(pool: pg.Pool, log?: Log): EventBus {
  const subscribers = new Set<BusSubscriber>();
  let client: pg.Client | null = null;
  let connected = false;
  let closed = false;
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
    each((s) => s.reset(value));
  }

  function onNotification(msg: pg.Notification) {
    if (msg.channel !== EVENTS_CHANNEL || !msg.payload) return;
    let event: BusEvent;
    try {
      event = JSON.parse(msg.payload) as BusEvent;
    } catch {
      return;
    }
    if (typeof event?.kind === 'string') each((s) => s.event(event));
  }

  function lost(which: pg.Client, err?: unknown) {
    if (client !== which) return;
    client = null;
    clearInterval(ping);
    which.removeAllListeners('notification');
    which.end().catch(() => {});
    if (connected) {
      log?.warn({ err }, 'event listener lost its database connection; caches are bypassed until it is back');
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
    setConnected(true);
  }

  return {
    get connected() {
      return connected;
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
