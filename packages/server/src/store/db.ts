import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;
/** A transaction handle; repos accept either so they compose inside a service's transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export type Database = { db: Db; pool: pg.Pool; close(): Promise<void> };

/**
 * `queryTimeoutMs` bounds every query on the client side, so a network partition (packets dropped,
 * nothing refused) turns into a 503 instead of a request that hangs; the running server sets it
 * (LATCH_DB_QUERY_TIMEOUT), long operator tasks and tests do not. Keep-alive notices a dead peer.
 */
export function openDatabase(url: string, opts: { max?: number; queryTimeoutMs?: number } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 5000,
    keepAlive: true,
    ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs } : {}),
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

/** The pool under a drizzle handle, for the few reads that stream rows without the ORM (audit verification). */
export function poolOf(db: Db): pg.Pool {
  return (db as unknown as { $client: pg.Pool }).$client;
}
