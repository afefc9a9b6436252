import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({
  args: {
    org: { syntax: '<name-or-id>', description: 'org name (any case) or id' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const wanted = opts.org.trim();
  const orgs = await io.api.all(endpoints.orgs.list);
  // An id matches exactly; a name case-insensitively, like the server's `:org` matching.
  const org =
    orgs.find((o) => o.id === wanted) ?? orgs.find((o) => o.name.toLowerCase() === wanted.toLowerCase());
  if (!org) {
    throw new CliError(`You are not a member of org ${wanted}.`, {
      hint: 'Run `latch org list` to see yours.',
      code: 'NOT_FOUND',
    });
  }
  io.config.update({ activeOrg: { id: org.id, name: org.name } });
  io.result({ ...org, active: true }, () => undefined);
  io.note(`${io.err.green('✓')} Active org is now ${io.err.bold(org.name)} (${org.id}).`);
  if (io.env.LATCH_TOKEN) io.note('(Stored in the config file; --org still overrides it per command.)');
}
