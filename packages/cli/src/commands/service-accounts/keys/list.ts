import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../../lib/command.js';
import { dateTime, day, relative } from '../../../lib/format.js';

import type { Io } from '../../../lib/io.js';
import { statusText } from '../../../lib/key-status.js';
import { resolveOrg } from '../../../lib/org.js';

export const spec = defineCommand({
  args: {
    account: { syntax: '<account>', description: 'account id or name' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const account = opts.account.trim();
  const org = await resolveOrg(io);
  const keys = await io.api.all(endpoints.serviceAccounts.listKeys, {
    params: { org: org.ref, id: account },
  });
  io.result(keys, () => {
    if (keys.length === 0) {
      return `Service account ${account} has no keys. Create one with \`latch service-accounts keys create ${account}\`.`;
    }
    const c = io.out;
    return io.table(
      ['NAME', 'ID', 'PREFIX', 'CREATED BY', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS'],
      keys.map((k) => [
        k.name,
        c.dim(k.id),
        `${k.prefix}…`,
        k.createdBy ?? c.dim('-'),
        day(k.createdAt),
        k.lastUsedAt ? relative(k.lastUsedAt) : 'never',
        dateTime(k.expiresAt),
        statusText(c, k.status),
      ]),
      c.dim,
    );
  });
}
