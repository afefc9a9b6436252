import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { secretsTarget } from '../../lib/secrets.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'UPPER_SNAKE_CASE name' },
  },
  options: {
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    project: PROJECT_OPTION,
  },
});

/** No confirmation: an unset is a new version, undone with `latch secrets rollback`. */
export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const target = await secretsTarget(io, opts);
  const change = await io.api.call(endpoints.secrets.unset, {
    params: { org: target.sel.org.ref, project: target.sel.project, env: target.env, name: opts.name.trim() },
  });
  io.result(change, () => undefined);
  io.note(
    `${io.err.green('✓')} Unset ${io.err.bold(change.name)} in ${target.where} (version ${change.version}); apps keep it until the next \`latch deploy --env ${target.env}\`.`,
  );
  io.note(
    `Undo with \`latch secrets rollback ${change.name} --version ${change.version - 1} --env ${target.env}\`.`,
  );
}
