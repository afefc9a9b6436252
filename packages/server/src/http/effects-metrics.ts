import type pg from 'pg';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Worker } from '../services/effects/worker.js';

/**
 * Effects in /metrics: queue depth by state (read at scrape time: every node sees the whole
 * queue), this node's attempts by outcome, and how long deliveries take from enqueue.
 */
export function registerEffectsMetrics(registry: Registry, pool: pg.Pool, worker: Worker): void {
  new Gauge({
    name: 'latch_effects',
    help: 'Effects not yet finished (and dead ones), by state, across all nodes.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts: Record<string, number> = { pending: 0, in_flight: 0, retrying: 0, dead: 0 };
      try {
        const { rows } = await pool.query<{ state: string; n: number }>(
          `SELECT state, count(*)::int AS n FROM effects
           WHERE state IN ('pending', 'in_flight', 'retrying', 'dead') GROUP BY state`,
        );
        for (const r of rows) counts[r.state] = r.n;
      } catch {
        for (const k of Object.keys(counts)) counts[k] = Number.NaN;
      }
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  const attempts = new Counter({
    name: 'latch_effect_attempts_total',
    help: 'Delivery attempts made by this node, by outcome (delivered, failed: will retry, dead).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ['delivered', 'failed', 'dead']) attempts.inc({ outcome }, 0);
  const attemptSeconds = new Histogram({
    name: 'latch_effect_attempt_duration_seconds',
    help: 'Time of one delivery attempt (the POST and its answer).',
    buckets: [0.005, 0.025, 0.1, 0.5, 2.5, 15],
    registers: [registry],
  });
  const deliverySeconds = new Histogram({
    name: 'latch_effect_delivery_seconds',
    help: 'Time from enqueue to successful delivery.',
    buckets: [0.01, 0.05, 0.1, 0.5, 5, 60, 3600, 86400],
    registers: [registry],
  });
  worker.onAttempt(({ outcome, latencyMs, sinceEnqueueMs }) => {
    attempts.inc({ outcome });
    attemptSeconds.observe(latencyMs / 1000);
    if (outcome === 'delivered') deliverySeconds.observe(Math.max(0, sinceEnqueueMs) / 1000);
  });
}
