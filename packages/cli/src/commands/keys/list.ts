import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime, day, relative } from '../../lib/format.js';

import type { Io } from '../../lib/io.js';
import { statusText } from '../../lib/key-status.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const keys = await io.api.all(endpoints.platformKeys.list, { params: { org: org.ref } });
  io.result(keys, () => {
    if (keys.length === 0)
      return `No platform keys in ${org.label}. Create one with \`latch keys create <name> -s <scope>\`.`;
    const c = io.out;
    return io.table(
      ['NAME', 'ID', 'PREFIX', 'SCOPES', 'CREATED BY', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS'],
      keys.map((k) => [
        k.name,
        c.dim(k.id),
        `${k.prefix}…`,
        k.scopes.join(','),
        k.createdBy ?? c.dim('(deleted user)'),
        day(k.createdAt),
        k.lastUsedAt ? relative(k.lastUsedAt) : 'never',
        dateTime(k.expiresAt),
        statusText(c, k.status, k.rotatingUntil),
      ]),
      c.dim,
    );
  });
}
