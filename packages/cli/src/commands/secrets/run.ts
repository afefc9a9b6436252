import { endpoints } from '@latchkey/core';
import { resolveCommand, runChild } from '../../lib/child.js';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { MIN_MASK_LENGTH } from '../../lib/mask.js';
import { runMasked } from '../../lib/masked-child.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { plural, secretsTarget } from '../../lib/secrets.js';

export const spec = defineCommand({
  args: {
    command: { syntax: '[command...]', description: 'the command and its arguments, after --' },
  },
  options: {
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    latest: { flags: '--latest', description: 'the newest versions instead of the current release' },
    inherit: { flags: '--no-inherit', description: "do not pass this shell's environment, only the secrets" },
    mask: {
      flags: '--mask',
      description: `print *** in place of released values in the command's output (values of ${MIN_MASK_LENGTH}+ characters)`,
    },
    dryRun: { flags: '--dry-run', description: 'list the names it would set, run nothing' },
    project: PROJECT_OPTION,
  },
  help: "\nExamples:\n  latch run --env production -- node server.js\n  latch run --env staging --dry-run -- npm start\n  latch run --env staging --mask -- npm test\n\n--mask hides exact copies only: an encoded, split or transformed value is not masked.\nExits with the command's exit code (128+N when it dies of signal N).",
});

export type RunOptions = OptionsOf<typeof spec> & { cwd?: string };

/** Credentials of the latch CLI itself are not the app's to see, unless released as secrets. */
const CLI_ONLY = ['LATCH_TOKEN'];

/**
 * `latch run --env E -- cmd args…`: the environment's released secrets on top of this process's
 * environment (secrets win; --no-inherit passes the secrets alone), stdio and signals passed
 * through, and latch exits with the child's code. Values are never printed.
 */
export async function run(opts: RunOptions, io: Io): Promise<void> {
  const [command, ...args] = opts.command ?? [];
  if (!command) {
    throw usageError(
      'Give the command to run after --.',
      'Example: latch run --env production -- node server.js',
    );
  }
  const target = await secretsTarget(io, opts);
  const released = await io.api.call(endpoints.secrets.released, {
    params: { org: target.sel.org.ref, project: target.sel.project, env: target.env },
    query: opts.latest ? { latest: 'true' } : {},
  });
  const names = Object.keys(released.values).sort();
  const from = released.release ? `release v${released.release.number}` : 'the newest versions (--latest)';
  if (opts.dryRun) {
    io.result(
      {
        environment: target.env,
        source: released.source,
        release: released.release?.number ?? null,
        names,
        command: [command, ...args],
      },
      () => (names.length ? names.join('\n') : undefined),
    );
    io.note(
      io.err.dim(
        `Would run \`${[command, ...args].join(' ')}\` with ${plural(names.length, 'secret')} of ${target.where} from ${from}.`,
      ),
    );
    return;
  }
  const base: NodeJS.ProcessEnv = opts.inherit === false ? {} : { ...io.env };
  for (const name of CLI_ONLY) if (!(name in released.values)) delete base[name];
  const env = { ...base, ...released.values };
  const onStartError = (message: string) => io.stderr.write(`latch run: ${message}\n`);
  const file = resolveCommand(command, io.env.PATH);
  const code = opts.mask
    ? await runMasked({
        command: file,
        args,
        env,
        values: Object.values(released.values),
        // The child keeps a terminal only when ours is one on every side; else its output is piped.
        tty: Boolean(process.stdin.isTTY && process.stdout.isTTY && process.stderr.isTTY),
        onStartError,
        onSignal: io.onSignal,
      })
    : await runChild(file, args, env, onStartError, io.onSignal);
  io.setExitCode(code);
}
