import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'org name' },
  },
  options: {
    use: { flags: '--use', description: 'make it the active org' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await io.api.call(endpoints.orgs.create, { body: { name: opts.name.trim() } });
  if (opts.use) io.config.update({ activeOrg: { id: org.id, name: org.name } });
  io.result({ ...org, active: Boolean(opts.use) }, () => undefined);
  io.note(`${io.err.green('✓')} Created org ${io.err.bold(org.name)} (${org.id}); you are its owner.`);
  if (opts.use) io.note('It is now your active org.');
  else io.note(`Make it your active org with \`latch org use ${quoteArg(org.name)}\`.`);
}

/** Names may contain spaces; quote them so the suggested command can be pasted as is. */
export function quoteArg(value: string): string {
  return /^[A-Za-z0-9._-]+$/.test(value) ? value : `"${value.replaceAll('"', '\\"')}"`;
}
