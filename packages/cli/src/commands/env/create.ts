import { endpoints, environmentNameError } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'environment name' },
  },
  options: {
    project: PROJECT_OPTION,
  },
});

export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const name = opts.name.trim();
  const error = environmentNameError(name);
  if (error) throw usageError(`${error}.`);
  const sel = await requireProject(io, opts);
  const env = await io.api.call(endpoints.environments.create, {
    params: { org: sel.org.ref, project: sel.project },
    body: { name },
  });
  io.result(env, () => undefined);
  io.note(`${io.err.green('✓')} Created environment ${io.err.bold(env.name)} in ${sel.project} (${env.id}).`);
  io.note(`Push the access manifest to it with \`latch scopes push --env ${env.name}\`.`);
}
