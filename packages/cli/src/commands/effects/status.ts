import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { keyValues, relative } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  options: { env: { flags: '-e, --env <env>', description: 'only effects enqueued for this environment' } },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const s = await io.api.call(endpoints.effects.status, {
    params: { org: org.ref },
    query: opts.env ? { environment: opts.env } : {},
  });
  io.result(s, () => {
    const c = io.out;
    const n = (k: string) => String(s.counts[k] ?? 0);
    const lines = [
      keyValues(
        [
          ['pending', n('pending')],
          ['in flight', n('in_flight')],
          ['failed, retrying', n('retrying')],
          ['delivered', n('delivered')],
          ['dead', (s.counts.dead ?? 0) > 0 ? c.red(n('dead')) : n('dead')],
          ['oldest pending', s.oldestPendingSeconds === null ? '-' : `${s.oldestPendingSeconds} s`],
          ['delivered (5 min)', `${s.deliveredLast5Minutes} (${s.perMinute}/min)`],
        ],
        c.dim,
      ),
    ];
    if (s.latestFailures.length) {
      lines.push('', 'Latest failures:');
      lines.push(
        io.table(
          ['ID', 'URL', 'STATUS', 'ERROR', 'WHEN'],
          s.latestFailures.map((f) => [
            f.id,
            f.url,
            f.status === null ? '-' : String(f.status),
            f.error ?? '-',
            relative(f.at),
          ]),
          c.dim,
        ),
      );
    }
    return lines.join('\n');
  });
}
