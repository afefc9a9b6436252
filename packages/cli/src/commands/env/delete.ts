import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { findOrFail } from '../../lib/lookup.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'environment name' },
  },
  options: {
    force: { flags: '--force', description: 'also delete its API keys' },
    project: PROJECT_OPTION,
  },
});

export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const name = opts.name.trim();
  const sel = await requireProject(io, opts);
  const envs = await io.api.all(endpoints.environments.list, {
    params: { org: sel.org.ref, project: sel.project },
  });
  findOrFail(
    envs,
    (e) => e.name === name || e.id === name,
    `No environment ${name} in project ${sel.project}.`,
    envs.length
      ? `Its environments: ${envs.map((e) => e.name).join(', ')} (\`latch env list\`).`
      : 'It has no environments yet: `latch env create <name>`.',
  );
  const keys = opts.force ? ' and all its API keys: apps using them are refused at once' : '';
  await io.confirm(
    `Delete environment ${name} of ${sel.project}, with its access manifests, secrets, releases and database (if it has one)${keys}?`,
  );
  // Without --force the server refuses (409) while the environment has API keys, and says so.
  const deleted = await io.api.call(endpoints.environments.delete, {
    params: { org: sel.org.ref, project: sel.project, env: name },
    query: opts.force ? { force: 'true' } : {},
  });
  io.result(deleted, () => undefined);
  const n = deleted.deletedApiKeys;
  const also = n ? ` and ${n} API key${n === 1 ? '' : 's'}` : '';
  io.note(`${io.err.green('✓')} Deleted environment ${io.err.bold(deleted.name)} of ${sel.project}${also}.`);
}
