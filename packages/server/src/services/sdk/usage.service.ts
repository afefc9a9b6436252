import { MINUTE, type UsageItem, type UsageReportResult } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { type Actor, requirePermission } from '../actor.js';

/** SPEC 2: last used is written at most once a minute per key, whoever reports it. */
const EVERY_MS = MINUTE;
const MAX_TRACKED = 100_000;

type Deps = {
  db: Db;
  clock: Clock;
  projects: { resolve(actor: Actor, ref: string): Promise<{ id: string }> };
};

/**
 * Usage batches from app SDKs. SDKs answer most verifications from their own cache, so this is
 * how `lastUsedAt` learns about them. Only keys of the caller's project are touched: a report
 * naming another project's key id changes nothing.
 */
export function createUsageService({ db, clock, projects }: Deps) {
  const written = new Map<string, number>();

  return {
    async report(actor: Actor, projectRef: string, items: UsageItem[]): Promise<UsageReportResult> {
      requirePermission(actor, 'logs:write');
      const project = await projects.resolve(actor, projectRef);
      const now = clock.now().getTime();
      const latest = new Map<string, number>();
      for (const item of items) {
        const at = Math.min(Date.parse(item.lastAt) || now, now); // a skewed app clock never sets a future time
        if (item.outcome !== 'VALID' && item.outcome !== 'RATE_LIMITED') continue; // only real uses count
        if (at > (latest.get(item.keyId) ?? 0)) latest.set(item.keyId, at);
      }
      const due: { id: string; at: string }[] = [];
      for (const [id, at] of latest) {
        const last = written.get(id);
        if (last !== undefined && at - last < EVERY_MS) continue;
        due.push({ id, at: new Date(at).toISOString() });
      }
      let updated = 0;
      if (due.length) {
        const result = await db.execute(sql`
          UPDATE api_keys AS k SET last_used_at = v.at
          FROM jsonb_to_recordset(${JSON.stringify(due)}::jsonb) AS v(id text, at timestamptz)
          WHERE k.id = v.id AND k.project_id = ${project.id}
            AND (k.last_used_at IS NULL OR k.last_used_at < v.at - interval '1 minute')`);
        updated = result.rowCount ?? 0;
        // Forgetting everyone at once only costs one extra write per key; it bounds memory.
        if (written.size + due.length > MAX_TRACKED) written.clear();
        for (const u of due) written.set(u.id, Date.parse(u.at));
      }
      return { accepted: items.length, lastUsedUpdated: updated };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
