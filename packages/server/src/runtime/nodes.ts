import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';

/** How often a node says it is alive, and after how long without that it no longer counts. */
export const HEARTBEAT_MS = 10_000;
const ALIVE_SECONDS = 30;
// A node killed with -9 never deletes its row; rows this old are swept by whoever beats next.
const FORGET_AFTER = '1 day';

export type NodeRegistry = {
  readonly id: string;
  /** Live nodes on this database, this one included (1 until the first heartbeat answers). */
  count(): number;
  start(): Promise<void>;
  close(): Promise<void>;
};

type Log = { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

/**
 * Each server process registers itself in `server_nodes` and beats every 10 s, so every node knows
 * how many share the database: with a shared limit store that sizes the in-memory fallback, and
 * without one it is why a second node warns at start that its limits are per node.
 * Liveness is judged by the database's clock, not the nodes' (one time source, no skew).
 */
export function createNodeRegistry(
  pool: pg.Pool,
  opts: { sharesLimits: boolean; log: Log; heartbeatMs?: number },
): NodeRegistry {
  const id = randomUUID();
  let live = 1;
  let warned = false;
  let timer: NodeJS.Timeout | null = null;

  async function beat(): Promise<void> {
    const { rows } = await pool.query<{ live: number; unshared: number }>(
      `WITH me AS (
         UPDATE server_nodes SET seen_at = now() WHERE id = $1 RETURNING id
       ), gone AS (
         DELETE FROM server_nodes WHERE seen_at < now() - interval '${FORGET_AFTER}'
       )
       SELECT count(*)::int AS live,
              count(*) FILTER (WHERE NOT shares_limits)::int AS unshared
         FROM server_nodes
        WHERE seen_at > now() - make_interval(secs => $2) OR id IN (SELECT id FROM me)`,
      [id, ALIVE_SECONDS],
    );
    live = Math.max(1, rows[0]?.live ?? 1);
    if (live > 1 && !warned && (!opts.sharesLimits || (rows[0]?.unshared ?? 0) > 0)) {
      warned = true;
      opts.log.warn(
        { nodes: live },
        `${live} Latchkey nodes share this database but ${opts.sharesLimits ? 'some of them run' : 'this node runs'} ` +
          'without REDIS_URL: rate limits (sign-in, device codes, per credential) are counted per node, ' +
          'so each is multiplied by the node count. Set REDIS_URL on every node to share them.',
      );
    }
  }

  return {
    id,
    count: () => live,
    async start() {
      await pool.query(
        'INSERT INTO server_nodes (id, hostname, pid, shares_limits) VALUES ($1, $2, $3, $4)',
        [id, hostname(), process.pid, opts.sharesLimits],
      );
      await beat();
      timer = setInterval(() => {
        beat().catch((err) => opts.log.error({ err }, 'node heartbeat failed'));
      }, opts.heartbeatMs ?? HEARTBEAT_MS);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = null;
      await pool.query('DELETE FROM server_nodes WHERE id = $1', [id]).catch(() => {});
    },
  };
}
