import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { day } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const orgs = await io.api.all(endpoints.orgs.list);
  const activeId = io.config.data.activeOrg?.id;
  const rows = orgs.map((o) => ({ ...o, active: o.id === activeId }));
  io.result(rows, () => {
    if (rows.length === 0) return 'You belong to no org yet. Create one with `latch org create <name>`.';
    const c = io.out;
    return io.table(
      ['  NAME', 'ID', 'ROLE', 'CREATED'],
      rows.map((o) => [
        `${o.active ? c.green('*') : ' '} ${o.personal ? `${o.name} ${c.dim('(personal)')}` : o.name}`,
        c.dim(o.id),
        o.role ?? '-',
        day(o.createdAt),
      ]),
      c.dim,
    );
  });
}
