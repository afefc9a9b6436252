import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { day } from '../../lib/format.js';

import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const members = await io.api.all(endpoints.members.list, { params: { org: org.ref } });
  const me = io.config.data.user?.id;
  io.result(members, () => {
    const c = io.out;
    return io.table(
      ['EMAIL', 'NAME', 'ROLE', 'JOINED'],
      members.map((m) => [
        m.userId === me ? `${m.email} ${c.dim('(you)')}` : m.email,
        m.name ?? '',
        m.role,
        day(m.joinedAt),
      ]),
      c.dim,
    );
  });
}
