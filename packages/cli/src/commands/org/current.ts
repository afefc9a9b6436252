import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({});

/** Answers from the config file alone, so it works offline and costs no request. */
export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  if (io.context.org) {
    const value = { id: null, name: io.context.org, source: '--org' };
    io.result(value, () => `${io.context.org} ${io.out.dim('(from --org)')}`);
    return;
  }
  const active = io.config.data.activeOrg;
  if (!active) {
    throw new CliError('No active org.', {
      hint: 'Run `latch org use <name>` (`latch org list` shows yours).',
      code: 'NO_ACTIVE_ORG',
    });
  }
  io.result({ ...active, source: 'config' }, () => `${active.name} ${io.out.dim(`(${active.id})`)}`);
}
