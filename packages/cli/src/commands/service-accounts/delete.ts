import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { findOrFail, sameRef } from '../../lib/lookup.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    account: { syntax: '<id-or-name>', description: 'account id or name' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const account = opts.account.trim();
  const org = await resolveOrg(io);
  const accounts = await io.api.all(endpoints.serviceAccounts.list, { params: { org: org.ref } });
  const found = findOrFail(
    accounts,
    (a) => sameRef(account, a),
    `No service account ${account} in ${org.label}.`,
    'Run `latch service-accounts list`; give its id or its name.',
  );
  const keys = found.activeKeys === 1 ? 'its 1 active key is' : `its ${found.activeKeys} active keys are`;
  await io.confirm(
    `Delete service account ${found.name} (${found.role}) in ${org.label}? ${found.activeKeys ? keys : 'all its keys are'} revoked at once.`,
  );
  const deleted = await io.api.call(endpoints.serviceAccounts.delete, {
    params: { org: org.ref, id: found.id },
  });
  io.result(deleted, () => undefined);
  io.note(
    `${io.err.green('✓')} Deleted service account ${io.err.bold(deleted.name)} (${deleted.id}); its keys no longer work.`,
  );
}
