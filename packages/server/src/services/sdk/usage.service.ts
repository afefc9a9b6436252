import type { UsageItem, UsageReportResult } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { poolOf } from '../../store/db.js';
import { type Actor, requirePermission } from '../actor.js';
import type { LastUsedRecorder } from '../last-used.js';
import { emptyColumns, insertUsage, type UsageColumns } from '../logs/usage-events.repo.js';

type Deps = {
  db: Db;
  clock: Clock;
  lastUsed: LastUsedRecorder;
  projects: { resolve(actor: Actor, ref: string): Promise<{ id: string }> };
};

/**
 * An item's outcomes as rows: each event it carries on its own, and what its `count` says beyond
 * them (all of it, from SDKs that send counts only) as one aggregate row at `lastAt` with the
 * remaining latency. Times are clamped to the server's now: a skewed app clock never writes the
 * future.
 */
export function itemRows(item: UsageItem, now: number, into: UsageColumns): void {
  const events = item.events ?? [];
  let latency = 0;
  for (const [at, ms] of events) {
    into.keyId.push(item.keyId);
    into.route.push(item.route);
    into.outcome.push(item.outcome);
    into.atMs.push(Math.min(at, now));
    into.latencyMs.push(ms);
    into.count.push(1);
    latency += ms;
  }
  const rest = item.count - events.length;
  if (rest > 0) {
    into.keyId.push(item.keyId);
    into.route.push(item.route);
    into.outcome.push(item.outcome);
    into.atMs.push(Math.min(Date.parse(item.lastAt) || now, now));
    into.latencyMs.push(Math.max(0, item.latencyMsTotal - latency));
    into.count.push(rest);
  }
}

/**
 * Usage batches from app SDKs: every verification outcome is stored (usage_events, migration
 * 0016) and feeds `latch logs`; last-used is taken from the rows stored. Only keys of the
 * caller's project are stored or touched: a report naming another project's key id changes
 * nothing.
 */
export function createUsageService({ db, clock, lastUsed, projects }: Deps) {
  const pool = poolOf(db);
  return {
    async report(
      actor: Actor,
      projectRef: string,
      items: UsageItem[],
      clientAddr: string | null = null,
    ): Promise<UsageReportResult> {
      requirePermission(actor, 'logs:write');
      const project = await projects.resolve(actor, projectRef);
      const now = clock.now().getTime();
      const rows = emptyColumns();
      for (const item of items) itemRows(item, now, rows);
      const { stored, lastUsed: uses } = await insertUsage(pool, project.id, clientAddr, rows);
      return {
        accepted: items.length,
        stored,
        lastUsedUpdated: await lastUsed.reportNow(project.id, uses),
      };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
