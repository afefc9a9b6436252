import { endpoints, parseDuration } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

const EXAMPLE = 'latch effects replay --endpoint whe_… --since 2h';

export const spec = defineCommand({
  options: {
    endpoint: { flags: '--endpoint <id>', description: 'the webhook endpoint (whe_…)' },
    since: { flags: '--since <duration>', description: 'how far back: 30m, 2h, 3d' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  if (!opts.endpoint) throw usageError('Give the endpoint with --endpoint.', `Example: ${EXAMPLE}`);
  const ms = opts.since ? parseDuration(opts.since) : null;
  if (!ms) throw usageError('Give how far back with --since, e.g. 30m, 2h or 3d.', `Example: ${EXAMPLE}`);
  const org = await resolveOrg(io);
  const since = new Date(Date.now() - ms).toISOString();
  const r = await io.api.call(endpoints.effects.replay, {
    params: { org: org.ref },
    body: { endpoint: opts.endpoint, since },
  });
  io.result(r, () => String(r.enqueued));
  io.note(
    `${io.err.green('✓')} ${r.enqueued} deliveries enqueued again for ${opts.endpoint} (same webhook-id: receivers can tell repeats).`,
  );
}
