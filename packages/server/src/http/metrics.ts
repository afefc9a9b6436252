import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { VerifyCode } from '@latchkey/core';
import type { FastifyInstance, FastifyReply, onResponseHookHandler } from 'fastify';
import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import type { VerifyStats } from '../services/api-keys/verify.service.js';
import type { Limiters } from './limiters.js';

/**
 * Request latency buckets, in seconds. Few on purpose: every request walks them, and every
 * route × status pair exports them all.
 */
export const LATENCY_BUCKETS = [0.005, 0.025, 0.1, 0.5, 2.5, 10] as const;

/** The route label of every request no route matched: one series, never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';

const PROMTOOL_REJECTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type StatusStats = { count: number; sum: number; buckets: number[] };

/**
 * One route's requests, by status: plain numbers, so recording a request costs a Map look-up and
 * a few comparisons. prom-client reads them only when /metrics is scraped.
 */
class RouteStats {
  readonly byStatus = new Map<number, StatusStats>();
  constructor(
    readonly method: string,
    readonly route: string,
  ) {}

  record(status: number, ms: number): void {
    let s = this.byStatus.get(status);
    if (s === undefined) {
      s = { count: 0, sum: 0, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0) };
      this.byStatus.set(status, s);
    }
    const seconds = ms / 1000;
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    s.buckets[i]!++;
  }
}

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

/**
 * A metric whose values are computed at scrape time from numbers kept elsewhere: what prom-client's
 * Registry needs of a metric (name, help, type, get), without its per-observation label hashing.
 */
function snapshotMetric(name: string, help: string, type: 'counter' | 'histogram', read: () => Sample[]) {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: read() }),
    reset: () => {},
  } as unknown as Metric;
}

export type MetricsSources = {
  /** The database's pools by name: `main` (everything) and `verify` (verification's misses). */
  pools: Record<string, pg.Pool>;
  verifyStats: Readonly<VerifyStats>;
  limiters: Limiters;
  auditRowsWritten: () => number;
  /** Read from the database when scraped. */
  auditCheckpointBacklog: () => Promise<{ ageSeconds: number; rows: number }>;
  /** Process-wide metrics (CPU, memory, GC, handles): once per process, so only the real server. */
  processMetrics?: boolean;
};

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * This app's metrics, in its own registry (tests build many apps in one process). Call before any
 * route is registered: each route gets its request recorder when it is registered.
 */
export function createMetrics(app: FastifyInstance, sources: MetricsSources) {
  const registry = new Registry();
  const routes: RouteStats[] = [];
  const unmatched = new Map<string, RouteStats>();

  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) {
      const stats = new RouteStats(method, route.url);
      routes.push(stats);
      const record: onResponseHookHandler = (_req, reply, done) => {
        stats.record(reply.statusCode, reply.elapsedTime);
        done();
      };
      // A route registered for several methods gets one recorder per method.
      const hook: onResponseHookHandler =
        typeof route.method === 'string'
          ? record
          : (req, reply, done) => {
              if (req.method === method) stats.record(reply.statusCode, reply.elapsedTime);
              done();
            };
      route.onResponse = [...([] as onResponseHookHandler[]).concat((route.onResponse as never) ?? []), hook];
    }
  });

  /**
   * For the not-found handler: Fastify runs no route hooks there and keeps no start time
   * (reply.elapsedTime is 0), so the clock starts here; only routing came before.
   */
  function recordUnmatched(method: string, reply: FastifyReply) {
    const start = performance.now();
    const m = KNOWN_METHODS.has(method) ? method : 'OTHER';
    let stats = unmatched.get(m);
    if (stats === undefined) {
      stats = new RouteStats(m, UNMATCHED_ROUTE);
      unmatched.set(m, stats);
    }
    const s = stats;
    reply.raw.once('finish', () => s.record(reply.statusCode, performance.now() - start));
  }

  function* requestSeries() {
    for (const stats of [...routes, ...unmatched.values()]) {
      for (const [status, s] of stats.byStatus) {
        yield { labels: { method: stats.method, route: stats.route, status }, s };
      }
    }
  }

  registry.registerMetric(
    snapshotMetric(
      'latch_http_requests_total',
      'HTTP requests answered, by method, route pattern and status.',
      'counter',
      () => [...requestSeries()].map(({ labels, s }) => ({ labels, value: s.count })),
    ),
  );
  registry.registerMetric(
    snapshotMetric(
      'latch_http_request_duration_seconds',
      'HTTP request latency in seconds, by method, route pattern and status.',
      'histogram',
      () => {
        const out: Sample[] = [];
        const name = 'latch_http_request_duration_seconds';
        for (const { labels, s } of requestSeries()) {
          let cumulative = 0;
          LATENCY_BUCKETS.forEach((le, i) => {
            cumulative += s.buckets[i]!;
            out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
          });
          out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: s.count });
          out.push({ metricName: `${name}_sum`, labels, value: s.sum });
          out.push({ metricName: `${name}_count`, labels, value: s.count });
        }
        return out;
      },
    ),
  );

  const { verifyStats, limiters, pools } = sources;
  new Counter({
    name: 'latch_verifications_total',
    help: 'API-key verifications answered, by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of Object.entries(verifyStats.outcomes) as [VerifyCode, number][])
        this.inc({ outcome: code.toLowerCase() }, n);
    },
  });
  new Counter({
    name: 'latch_verify_cache_lookups_total',
    help: 'Verification key-cache look-ups, by result (hit or miss).',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: 'hit' }, verifyStats.cacheHits);
      this.inc({ result: 'miss' }, verifyStats.cacheMisses);
    },
  });
  new Gauge({
    name: 'latch_verify_cache_hit_ratio',
    help: 'Share of verification key look-ups answered from the cache since start (0 before any).',
    registers: [registry],
    collect() {
      const total = verifyStats.cacheHits + verifyStats.cacheMisses;
      this.set(total === 0 ? 0 : verifyStats.cacheHits / total);
    },
  });

  const limiterNames: [string, { readonly rejected: number }][] = [
    ['address', limiters.perIp],
    ['credential', limiters.perCredential],
    ['sign_in', limiters.signIn],
    ['device_code_entry', limiters.deviceCodeEntry],
    ['token_endpoint', limiters.tokenEndpoint],
  ];
  new Counter({
    name: 'latch_rate_limit_rejections_total',
    help: 'Requests refused with 429, by limiter.',
    labelNames: ['limiter'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [limiter, l] of limiterNames) this.inc({ limiter }, l.rejected);
    },
  });

  const store = limiters.store;
  if (store) {
    new Gauge({
      name: 'latch_rate_limit_store_up',
      help: 'Whether the shared rate-limit store (REDIS_URL) answers: 1, or 0 while limits fall back to memory.',
      registers: [registry],
      collect() {
        this.set(store.up ? 1 : 0);
      },
    });
    new Counter({
      name: 'latch_rate_limit_store_errors_total',
      help: 'Commands to the shared rate-limit store that failed (each decided from memory instead).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(store.errors);
      },
    });
  }

  new Counter({
    name: 'latch_audit_events_total',
    help: 'Audit rows written by this process.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.auditRowsWritten());
    },
  });

  // One query per scrape serves both gauges (a scrape starts every collect() in the same tick);
  // NaN when the database cannot answer, so a scrape
  // still shows everything else.
  let backlog: Promise<{ ageSeconds: number; rows: number }> | null = null;
  const readBacklog = () => {
    backlog ??= sources
      .auditCheckpointBacklog()
      .catch(() => ({ ageSeconds: Number.NaN, rows: Number.NaN }))
      .finally(() => {
        backlog = null;
      });
    return backlog;
  };
  new Gauge({
    name: 'latch_audit_checkpoint_age_seconds',
    help: 'How long the oldest audit rows not yet covered by a signed checkpoint have waited (0: all signed).',
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).ageSeconds);
    },
  });
  new Gauge({
    name: 'latch_audit_unsigned_rows',
    help: "Audit rows appended since their chain's last signed checkpoint.",
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).rows);
    },
  });

  const sse = new Map<string, () => number>();
  new Gauge({
    name: 'latch_sse_clients',
    help: 'Server-sent event streams open now, by stream.',
    labelNames: ['stream'],
    registers: [registry],
    collect() {
      for (const [stream, count] of sse) this.set({ stream }, count());
    },
  });

  const poolGauge = (name: string, help: string, read: (pool: pg.Pool) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        for (const [label, pool] of Object.entries(pools)) this.set({ pool: label }, read(pool));
      },
    });
  poolGauge(
    'latch_db_pool_connections',
    'Database pool connections, idle or in use, by pool.',
    (p) => p.totalCount,
  );
  poolGauge(
    'latch_db_pool_idle_connections',
    'Database pool connections idle now, by pool.',
    (p) => p.idleCount,
  );
  poolGauge(
    'latch_db_pool_waiting_clients',
    'Queries waiting for a database pool connection, by pool.',
    (p) => p.waitingCount,
  );

  // Sampled every 20 ms; each scrape reports the lag since the previous one.
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  new Gauge({
    name: 'latch_event_loop_lag_seconds',
    help: 'Event-loop delay since the previous scrape, in seconds: mean, p99 and max.',
    labelNames: ['stat'],
    registers: [registry],
    collect() {
      const seen = loop.count > 0;
      this.set({ stat: 'mean' }, seen ? loop.mean / 1e9 : 0);
      this.set({ stat: 'p99' }, seen ? loop.percentile(99) / 1e9 : 0);
      this.set({ stat: 'max' }, seen ? loop.max / 1e9 : 0);
      loop.reset();
    },
  });
  app.addHook('onClose', async () => loop.disable());

  if (sources.processMetrics) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters (promtool rejects them); nodejs_active_handles, _requests and
    // _resources carry the same numbers by type.
    for (const name of PROMTOOL_REJECTS) registry.removeSingleMetric(name);
  }

  return {
    registry,
    recordUnmatched,
    /** A stream of server-sent events reports how many clients it holds (read when scraped). */
    sseClients(stream: string, count: () => number) {
      sse.set(stream, count);
    },
  };
}
