import type { UsageItem, UsageReportResult } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { type Actor, requirePermission } from '../actor.js';
import type { LastUsedRecorder } from '../last-used.js';

type Deps = {
  clock: Clock;
  lastUsed: LastUsedRecorder;
  projects: { resolve(actor: Actor, ref: string): Promise<{ id: string }> };
};

/**
 * Usage batches from app SDKs. SDKs answer most verifications from their own cache, so this is
 * how `lastUsedAt` learns about them. Only keys of the caller's project are touched: a report
 * naming another project's key id changes nothing.
 */
export function createUsageService({ clock, lastUsed, projects }: Deps) {
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
      const uses = [...latest].map(([id, at]) => ({ id, at: new Date(at) }));
      return { accepted: items.length, lastUsedUpdated: await lastUsed.reportNow(project.id, uses) };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
