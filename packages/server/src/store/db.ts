import type { SQL } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;
/** A transaction handle; repos accept either so they compose inside a service's transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

/**
 * `verifyPool`: a small pool of its own for verification's cache-miss look-up (api-keys.repo
 * findByHashes), the one statement run there.
 */
export type Database = { db: Db; pool: pg.Pool; verifyPool: pg.Pool; close(): Promise<void> };

/**
 * `queryTimeoutMs` bounds every query on the client side, so a network partition (packets dropped,
 * nothing refused) turns into a 503 instead of a request that hangs; the running server sets it
 * (LATCH_DB_QUERY_TIMEOUT), long operator tasks and tests do not. Keep-alive notices a dead peer.
 */
export function openDatabase(url: string, opts: { max?: number; queryTimeoutMs?: number } = {}): Database {
  const max = opts.max ?? 10;
  const config: pg.PoolConfig = {
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    keepAlive: true,
    ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs } : {}),
  };
  const pool = new pg.Pool(config);
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => {});
  // The look-up's plan does not depend on its values (the same two index scans for one hash or a
  // hundred), but PostgreSQL plans a prepared statement whose parameter is an array afresh on
  // every execution: a custom plan for that many elements always looks cheaper than the generic
  // one, planned for ten. That planning costs more than the look-up itself (about 0.1 ms against
  // 0.06 ms), on every cache miss. Forcing generic plans for a whole session would also reach the
  // ORM's statements, whose plans do depend on their values; so these sessions run only the look-up.
  // A few connections are enough: the misses of one event-loop turn share one statement. No
  // connection is opened until the first miss.
  // Set by the pool's onConnect hook, which it awaits before handing the connection out: no
  // query races the SET, and no start-up parameter that a connection pooler might refuse.
  const verifyPool = new pg.Pool({
    ...config,
    max: Math.min(max, 4),
    onConnect: async (client: pg.ClientBase) => {
      await client.query('SET plan_cache_mode = force_generic_plan');
    },
  });
  verifyPool.on('error', () => {});
  const db = drizzle(pool, { schema });
  return {
    db,
    pool,
    verifyPool,
    close: async () => {
      await Promise.all([pool.end(), verifyPool.end()]);
    },
  };
}

/** The pool under a drizzle handle, for the few reads that stream rows without the ORM (audit verification). */
export function poolOf(db: Db): pg.Pool {
  return (db as unknown as { $client: pg.Pool }).$client;
}

// Statement names by their SQL text, so each connection parses and plans a hot statement once.
const statementNames = new Map<string, string>();
const MAX_NAMED = 64;

/**
 * Runs `query` as a named (prepared) statement when `db` is the pool, not a transaction: for the
 * few big statements on every write (the change and its audit row, chain-append.ts), whose
 * parse and plan cost PostgreSQL as much as a small insert. Its text must come from a fixed
 * template (values as parameters), so there are only a few; past MAX_NAMED, unnamed again.
 */
export async function executeNamed<R extends pg.QueryResultRow>(
  db: DbOrTx,
  query: SQL,
): Promise<{ rows: R[] }> {
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (!(pool instanceof pg.Pool)) return (await db.execute(query)) as unknown as { rows: R[] };
  const { sql: text, params } = (db as unknown as { dialect: PgDialect }).dialect.sqlToQuery(query);
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED) {
    name = `latch_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return pool.query<R>(name ? { name, text, values: params } : { text, values: params });
}
