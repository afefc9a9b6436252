import { endpoints, formatDotenv } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { secretsTarget } from '../../lib/secrets.js';

export const spec = defineCommand({
  options: {
    format: { flags: '--format <format>', description: 'dotenv or json', choices: ['dotenv', 'json'] },
    latest: { flags: '--latest', description: 'the newest versions instead of the current release' },
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    project: PROJECT_OPTION,
  },
});

/** The values that run (the current release), or with --latest the newest ones, on stdout. */
export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const format = opts.format ?? (io.json ? 'json' : 'dotenv');
  if (format !== 'dotenv' && format !== 'json')
    throw usageError(`--format is dotenv or json (got "${format}").`);
  const target = await secretsTarget(io, opts);
  const released = await io.api.call(endpoints.secrets.released, {
    params: { org: target.sel.org.ref, project: target.sel.project, env: target.env },
    query: opts.latest ? { latest: 'true' } : {},
  });
  const out =
    format === 'json' ? `${JSON.stringify(released.values, null, 2)}\n` : formatDotenv(released.values);
  io.stdout.write(out);
  const from = released.release ? `release v${released.release.number}` : 'the newest versions';
  io.note(io.err.dim(`${Object.keys(released.values).length} values of ${target.where} from ${from}.`));
}
