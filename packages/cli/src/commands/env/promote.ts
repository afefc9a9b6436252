import { endpoints, type PromotedSecrets } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';

export const spec = defineCommand({
  args: {
    from: { syntax: '<from>', description: 'the source environment, e.g. staging' },
    to: { syntax: '<to>', description: 'the target environment, e.g. production' },
  },
  options: {
    only: { flags: '--only <name...>', description: 'copy only these secrets (repeatable; default: all)' },
    project: PROJECT_OPTION,
  },
  help: '\nExamples:\n  latch env promote staging production\n  latch env promote staging production --only STRIPE_KEY --yes',
});

const changedNames = (r: PromotedSecrets) => [...r.added, ...r.changed];

/**
 * Copies the source's current values into the target as new versions, after showing which names
 * change and asking. It does not deploy: the target's next `latch deploy` ships them.
 */
export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const from = opts.from.trim();
  const to = opts.to.trim();
  if (from === to)
    throw usageError(
      'Promote copies between two environments.',
      'Example: latch env promote staging production',
    );
  const sel = await requireProject(io, opts);
  const call = (dryRun: boolean) =>
    io.api.call(endpoints.secrets.promote, {
      params: { org: sel.org.ref, project: sel.project, env: to },
      body: { from, dryRun, ...(opts.only?.length ? { names: opts.only } : {}) },
    });
  const plan = await call(true);
  const c = io.err;
  if (changedNames(plan).length === 0) {
    io.result(plan, () => undefined);
    io.note(
      `Nothing to promote: ${sel.project}/${to} already holds ${from}'s values (${plan.unchanged.length} unchanged).`,
    );
    return;
  }
  io.note(`From ${from} to ${to}:`);
  for (const n of plan.added) io.note(`  ${c.green(`+ ${n}`)}`);
  for (const n of plan.changed) io.note(`  ${c.yellow(`~ ${n}`)} (new version)`);
  if (plan.unchanged.length) io.note(c.dim(`  ${plan.unchanged.length} unchanged`));
  await io.confirm(
    `Copy ${changedNames(plan).length} value(s) from ${from} into ${sel.project}/${to} as new versions?`,
  );
  const done = await call(false);
  io.result(done, () => undefined);
  io.note(
    `${c.green('✓')} Promoted ${changedNames(done).join(', ')} to ${sel.project}/${to}. Not deployed: run \`latch deploy --env ${to}\` to ship them.`,
  );
}
