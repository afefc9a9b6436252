import { endpoints, secretNameError, secretValueError } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { readStdin, secretsTarget } from '../../lib/secrets.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'UPPER_SNAKE_CASE name' },
    value: { syntax: '[value]', description: 'the value; - reads stdin' },
  },
  options: {
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    project: PROJECT_OPTION,
  },
  help: '\nExamples:\n  latch secrets set STRIPE_SECRET_KEY sk_live_123 --env production\n  pbpaste | latch secrets set STRIPE_SECRET_KEY - --env production   # stays out of shell history',
});

export type SetOptions = OptionsOf<typeof spec> & { cwd?: string };

/** The value from the argument, from stdin with `-` (one trailing newline dropped), or a hidden prompt. */
async function valueFrom(opts: SetOptions, io: Io, read: () => Promise<string>): Promise<string> {
  if (opts.value === '-') return (await read()).replace(/\r?\n$/, '');
  if (opts.value !== undefined) return opts.value;
  if (!io.isTTY) {
    throw usageError(
      `Give the value of ${opts.name}: latch secrets set ${opts.name} <value>, or - to read it from stdin.`,
      `Example: printf %s "$VALUE" | latch secrets set ${opts.name} -`,
    );
  }
  const { password, isCancel } = await import('@clack/prompts');
  const answer = await password({ message: `Value of ${opts.name}`, output: process.stderr });
  if (isCancel(answer)) throw usageError('Cancelled; nothing was changed.');
  return answer;
}

export async function run(
  opts: SetOptions,
  io: Io,
  deps: { read?: () => Promise<string> } = {},
): Promise<void> {
  const name = opts.name.trim();
  const nameError = secretNameError(name);
  if (nameError) throw usageError(`${nameError}.`);
  const value = await valueFrom({ ...opts, name }, io, deps.read ?? (() => readStdin(io.stdin)));
  const valueError = secretValueError(value);
  if (valueError) throw usageError(`${name}: ${valueError}.`);
  const target = await secretsTarget(io, opts);
  const change = await io.api.call(endpoints.secrets.set, {
    params: { org: target.sel.org.ref, project: target.sel.project, env: target.env, name },
    body: { value },
  });
  io.result(change, () => undefined);
  if (change.unchanged) {
    io.note(
      `${io.err.green('✓')} ${io.err.bold(name)} in ${target.where} is unchanged: it already holds that value (version ${change.version}); no new version.`,
    );
    return;
  }
  const same = '';
  io.note(
    `${io.err.green('✓')} Set ${io.err.bold(name)} in ${target.where}: version ${change.version}${same}. It takes effect at the next \`latch deploy --env ${target.env}\`.`,
  );
}
