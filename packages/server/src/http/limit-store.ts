import { Redis } from 'ioredis';

type Log = { warn(obj: object, msg: string): void; info(msg: string): void };

/**
 * The Redis connection every node's rate limits share (REDIS_URL). It never queues commands while
 * disconnected and gives up on one after 500 ms: a limiter that cannot reach Redis decides from
 * memory at once (see `fallbackShare`) rather than making the request wait for a reconnect.
 */
export type LimitStore = {
  readonly redis: Redis;
  /** Key prefix, so several servers (or test files) can share one Redis. */
  readonly prefix: string;
  /** False from a failed command until the connection is ready again. */
  readonly up: boolean;
  /** Commands that failed since start (read by /metrics). */
  readonly errors: number;
  /**
   * While Redis is unreachable each node allows this share of a limit from its own memory: the
   * limit divided by the live nodes (at least 1 point), so the cluster as a whole is never looser
   * than the shared limit it replaces.
   */
  fallbackShare(points: number): number;
  failed(err: unknown): void;
  /**
   * Adds `deltas[i]` to the fixed window `keys[i]` (made with a `ttlSeconds` expiry when new),
   * all in one script call: answers [count, milliseconds left] per key, flattened, in order. One
   * command per batch instead of one per key is what keeps a flood of new keys (a new address
   * per request) cheap for both this process and Redis.
   */
  incrementMany(keys: string[], deltas: number[], ttlSeconds: number): Promise<number[]>;
  /** Resolves when connected, or after `ms` (the server then starts on the fallback). */
  ready(ms: number): Promise<boolean>;
  close(): Promise<void>;
};

// The window format is rate-limiter-flexible's (one integer key with an expiry), so the strict
// limiters and these batches read and reset the same keys. SET NX first: a new key, the common
// case in a batch, is then one call instead of three. ARGV: the window's seconds, then one delta
// per key, or none when every delta is 1.
const INCREMENT_MANY = `
local ttl = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local delta = 1
  if #ARGV > 1 then delta = tonumber(ARGV[i + 1]) end
  if redis.call('set', KEYS[i], delta, 'EX', ttl, 'NX') then
    out[2 * i - 1] = delta
    out[2 * i] = ttl * 1000
  else
    out[2 * i - 1] = redis.call('incrby', KEYS[i], delta)
    local left = redis.call('pttl', KEYS[i])
    if left < 0 then
      redis.call('expire', KEYS[i], ttl)
      left = ttl * 1000
    end
    out[2 * i] = left
  end
end
return out`;

type WithScript = Redis & { latchIncrementMany(...args: (string | number)[]): Promise<number[]> };

export function createLimitStore(opts: {
  url: string;
  prefix?: string;
  nodeCount: () => number;
  log: Log;
}): LimitStore {
  const redis = new Redis(opts.url, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000,
    // Reconnect for ever, at most every 2 s: recovery is automatic once Redis is back.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.defineCommand('latchIncrementMany', { lua: INCREMENT_MANY });
  let up = false;
  let everUp = false;
  let errors = 0;
  const down = (err: unknown) => {
    if (!up && everUp) return;
    const first = !everUp;
    up = false;
    everUp = true;
    opts.log.warn(
      { err: { message: (err as Error)?.message ?? String(err) } },
      first
        ? "Redis (REDIS_URL) is not reachable: rate limits are counted in this node's memory, at its share of each limit, until it is"
        : "Redis (REDIS_URL) became unreachable: rate limits are counted in this node's memory, at its share of each limit, until it is back",
    );
  };
  redis.on('ready', () => {
    if (!up && everUp) opts.log.info('Redis (REDIS_URL) is reachable again: rate limits are shared again');
    up = true;
    everUp = true;
  });
  // Without a listener ioredis prints every connection error; the state change is logged once.
  redis.on('error', (err) => down(err));

  return {
    redis,
    prefix: opts.prefix ?? 'latch:rl:',
    get up() {
      return up;
    },
    get errors() {
      return errors;
    },
    fallbackShare: (points) => Math.max(1, Math.floor(points / Math.max(1, opts.nodeCount()))),
    failed(err) {
      errors++;
      down(err);
    },
    incrementMany: (keys, deltas, ttlSeconds) =>
      // All ones (a flood of new keys, each seen once): the script takes no deltas at all, which
      // halves what is encoded, sent and parsed per key.
      deltas.every((d) => d === 1)
        ? (redis as WithScript).latchIncrementMany(keys.length, ...keys, ttlSeconds)
        : (redis as WithScript).latchIncrementMany(keys.length, ...keys, ttlSeconds, ...deltas),
    ready(ms) {
      if (up) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          redis.off('ready', onReady);
          if (!everUp) down(new Error(`no connection within ${ms} ms`));
          resolve(false);
        }, ms);
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        redis.once('ready', onReady);
      });
    },
    async close() {
      redis.removeAllListeners('error');
      redis.on('error', () => {});
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
