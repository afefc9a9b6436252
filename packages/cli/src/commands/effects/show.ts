import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime, keyValues } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({ args: { id: { syntax: '<id>', description: 'effect id (eff_…)' } } });

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const e = await io.api.call(endpoints.effects.show, { params: { org: org.ref, id: opts.id } });
  io.result(e, () => {
    const c = io.out;
    const head = keyValues(
      [
        ['id', e.id],
        ['webhook-id', e.messageId],
        ['kind', e.eventType ? `${e.kind} (${e.eventType})` : e.kind],
        ['url', e.url],
        ['state', e.state],
        ['attempts', `${e.attempts} of ${e.maxAttempts}`],
        ['next attempt', e.nextAttemptAt ? dateTime(e.nextAttemptAt) : '-'],
        ['created', dateTime(e.createdAt)],
      ],
      c.dim,
    );
    if (e.attemptLog.length === 0) return `${head}\n\nNo attempts yet.`;
    const table = io.table(
      ['#', 'TIME', 'STATUS', 'LATENCY', 'OUTCOME', 'ERROR / ANSWER'],
      e.attemptLog.map((a) => [
        String(a.attempt),
        dateTime(a.startedAt),
        a.status === null ? '-' : String(a.status),
        a.latencyMs === null ? '-' : `${a.latencyMs} ms`,
        a.outcome,
        (a.error ?? a.responseSnippet ?? '').replace(/\s+/g, ' ').slice(0, 120),
      ]),
      c.dim,
    );
    return `${head}\n\n${table}`;
  });
}
