import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { secretsTarget } from '../../lib/secrets.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'UPPER_SNAKE_CASE name' },
  },
  options: {
    version: { flags: '--version <n>', description: 'the version whose value to restore' },
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    project: PROJECT_OPTION,
  },
});

export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const version = Number(String(opts.version ?? '').replace(/^v/i, ''));
  if (!Number.isInteger(version) || version < 1) {
    throw usageError(
      'Say which version: --version <n>.',
      `See them with \`latch secrets history ${opts.name}\`.`,
    );
  }
  const target = await secretsTarget(io, opts);
  const change = await io.api.call(endpoints.secrets.rollback, {
    params: { org: target.sel.org.ref, project: target.sel.project, env: target.env, name: opts.name.trim() },
    body: { version },
  });
  io.result(change, () => undefined);
  io.note(
    `${io.err.green('✓')} ${io.err.bold(change.name)} in ${target.where} now has version ${version}'s value as version ${change.version}; it takes effect at the next \`latch deploy --env ${target.env}\`.`,
  );
}
