import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    account: { syntax: '<id-or-name>', description: 'account id or name' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const account = opts.account.trim();
  const org = await resolveOrg(io);
  await io.confirm(`Delete service account ${account} in ${org.label}? All its keys are revoked at once.`);
  const deleted = await io.api.call(endpoints.serviceAccounts.delete, {
    params: { org: org.ref, id: account },
  });
  io.result(deleted, () => undefined);
  io.note(
    `${io.err.green('✓')} Deleted service account ${io.err.bold(deleted.name)} (${deleted.id}); its keys no longer work.`,
  );
}
