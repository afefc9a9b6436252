import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

const EXAMPLE = 'latch effects purge --state dead --older-than 7d';

export const spec = defineCommand({
  options: {
    state: { flags: '--state <state>', description: 'dead, delivered or cancelled' },
    olderThan: {
      flags: '--older-than <duration>',
      description: 'last updated longer ago than this (min 1h)',
    },
    endpoint: { flags: '--endpoint <id>', description: 'only effects for this webhook endpoint (whe_…)' },
    env: { flags: '-e, --env <env>', description: 'only effects enqueued for this environment' },
    dryRun: { flags: '--dry-run', description: 'count what would be deleted, delete nothing' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  if (!opts.state)
    throw usageError('Give the state with --state dead|delivered|cancelled.', `Example: ${EXAMPLE}`);
  if (!opts.olderThan) throw usageError('Give the age with --older-than, e.g. 7d.', `Example: ${EXAMPLE}`);
  const org = await resolveOrg(io);
  const body = {
    state: opts.state,
    olderThan: opts.olderThan,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.env ? { environment: opts.env } : {}),
  };
  const params = { org: org.ref };
  // Count first (this also checks the state and duration), so the question names a number.
  const dry = await io.api.call(endpoints.effects.purge, { params, body: { ...body, dryRun: true } });
  const scope = `${opts.endpoint ? ` for endpoint ${opts.endpoint}` : ''}${opts.env ? ` in ${opts.env}` : ''}`;
  const what = `${dry.count} ${opts.state} effect${dry.count === 1 ? '' : 's'}${scope} last updated over ${opts.olderThan} ago in ${org.label}`;
  if (opts.dryRun) {
    io.result(dry, () => String(dry.count));
    io.note(`Would delete ${what} (dry run: nothing deleted).`);
    return;
  }
  if (dry.count > 0) {
    await io.confirm(`Delete ${what}, with their attempts (their deliveries leave \`latch logs\`)?`);
  }
  const r = await io.api.call(endpoints.effects.purge, { params, body });
  io.result(r, () => String(r.count));
  io.note(`${io.err.green('✓')} Deleted ${r.count} ${opts.state} effect${r.count === 1 ? '' : 's'}${scope}.`);
}
