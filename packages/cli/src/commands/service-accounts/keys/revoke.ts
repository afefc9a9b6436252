import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../../lib/command.js';

import type { Io } from '../../../lib/io.js';
import { findOrFail } from '../../../lib/lookup.js';
import { resolveOrg } from '../../../lib/org.js';

export const spec = defineCommand({
  args: {
    account: { syntax: '<account>', description: 'account id or name' },
    keyId: { syntax: '<keyId>', description: 'key id (see `latch service-accounts keys list`)' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const account = opts.account.trim();
  const keyId = opts.keyId.trim();
  const org = await resolveOrg(io);
  const keys = await io.api.all(endpoints.serviceAccounts.listKeys, {
    params: { org: org.ref, id: account },
  });
  const found = findOrFail(
    keys,
    (k) => k.id === keyId,
    `Service account ${account} has no key ${keyId}.`,
    `Run \`latch service-accounts keys list ${account}\`.`,
  );
  await io.confirm(
    `Revoke key ${found.name} (${found.prefix}…) of service account ${found.serviceAccount.name}? Anything using it is refused at once.`,
  );
  const key = await io.api.call(endpoints.serviceAccounts.revokeKey, {
    params: { org: org.ref, id: account, keyId },
  });
  io.result(key, () => undefined);
  io.note(
    `${io.err.green('✓')} Revoked key ${io.err.bold(key.name)} (${key.prefix}…) of ${key.serviceAccount.name}.`,
  );
}
