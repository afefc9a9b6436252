import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'account name' },
  },
  options: {
    role: {
      flags: '-r, --role <role>',
      description: 'role it acts with (required)',
      choices: ['admin', 'developer', 'viewer'],
    },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const name = opts.name.trim();
  if (!name)
    throw usageError(
      'A service account needs a name.',
      'Example: latch service-accounts create deploy-bot --role developer',
    );
  // No default: a role is a grant of power, so it is always chosen on purpose.
  if (!opts.role) {
    throw usageError(
      'Choose the role the service account acts with: --role admin, developer or viewer.',
      `Example: latch service-accounts create ${JSON.stringify(name)} --role developer`,
    );
  }
  const org = await resolveOrg(io);
  const account = await io.api.call(endpoints.serviceAccounts.create, {
    params: { org: org.ref },
    body: { name, role: opts.role },
  });
  io.result(account, () => undefined);
  io.note(
    `${io.err.green('✓')} Created service account ${io.err.bold(account.name)} (${account.id}) in ${org.label} with role ${account.role}.`,
  );
  io.note(`Make it a key with \`latch service-accounts keys create ${account.name}\`.`);
}
