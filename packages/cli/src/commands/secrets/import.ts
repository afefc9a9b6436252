import { readFileSync } from 'node:fs';

import { endpoints, type ImportedSecrets } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { readStdin, secretsTarget } from '../../lib/secrets.js';

export const spec = defineCommand({
  args: {
    file: { syntax: '<file>', description: '.env file, or - for stdin' },
  },
  options: {
    dryRun: { flags: '--dry-run', description: 'report without changing anything' },
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    project: PROJECT_OPTION,
  },
});

/** Sends the file as is: the server parses it, so its line numbers are the file's. */
export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  let content: string;
  try {
    content = opts.file === '-' ? await readStdin(io.stdin) : readFileSync(opts.file, 'utf8');
  } catch (err) {
    throw new CliError(
      `Cannot read ${opts.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  const target = await secretsTarget(io, opts);
  const spinner = io.spinner(`Importing ${opts.file} into ${target.where}…`);
  let result: ImportedSecrets;
  try {
    result = await io.api.call(endpoints.secrets.import, {
      params: { org: target.sel.org.ref, project: target.sel.project, env: target.env },
      body: { content, dryRun: Boolean(opts.dryRun) },
    });
  } finally {
    spinner.stop();
  }
  io.result(result, () => undefined);
  const c = io.err;
  const list = (names: string[]) => (names.length ? `: ${names.join(', ')}` : '');
  const verb = result.dryRun ? 'Would import' : 'Imported';
  io.note(`${result.dryRun ? c.dim('(dry run)') : c.green('✓')} ${verb} ${opts.file} into ${target.where}:`);
  io.note(`  ${result.added.length} added${list(result.added)}`);
  io.note(`  ${result.changed.length} changed${list(result.changed)}`);
  io.note(`  ${result.unchanged.length} unchanged`);
  if (!result.dryRun && result.added.length + result.changed.length > 0) {
    io.note(`They take effect at the next \`latch deploy --env ${target.env}\`.`);
  }
}
