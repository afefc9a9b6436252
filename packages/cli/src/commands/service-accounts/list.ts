import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { day } from '../../lib/format.js';

import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const accounts = await io.api.all(endpoints.serviceAccounts.list, { params: { org: org.ref } });
  io.result(accounts, () => {
    if (accounts.length === 0) {
      return `No service accounts in ${org.label}. Create one with \`latch service-accounts create <name> --role developer\`.`;
    }
    const c = io.out;
    return io.table(
      ['NAME', 'ID', 'ROLE', 'ACTIVE KEYS', 'CREATED BY', 'CREATED'],
      accounts.map((a) => [
        a.name,
        c.dim(a.id),
        a.role,
        String(a.activeKeys),
        a.createdBy ?? c.dim('-'),
        day(a.createdAt),
      ]),
      c.dim,
    );
  });
}
