import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { day } from '../../lib/format.js';

import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({});

/**
 * The members, then the invitations nobody has answered yet (both need members:read). `--json`
 * gives `{ members, invitations }`; `latch team invitations` has the invitations alone.
 */
export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const [members, invitations] = await Promise.all([
    io.api.all(endpoints.members.list, { params: { org: org.ref } }),
    io.api.all(endpoints.invitations.listForOrg, { params: { org: org.ref } }),
  ]);
  const pending = invitations.filter((i) => i.status === 'pending');
  const me = io.config.data.user?.id;
  io.result({ members, invitations: pending }, () => {
    const c = io.out;
    const rows = members.map((m) => [
      m.userId === me ? `${m.email} ${c.dim('(you)')}` : m.email,
      m.name ?? '',
      m.role,
      day(m.joinedAt),
    ]);
    for (const i of pending) {
      rows.push([
        i.email,
        c.dim('(invited)'),
        i.role,
        c.dim(`invited ${day(i.createdAt)}, expires ${day(i.expiresAt)}`),
      ]);
    }
    return io.table(['EMAIL', 'NAME', 'ROLE', 'JOINED'], rows, c.dim);
  });
  if (!io.json && pending.length > 0) {
    io.note(
      io.err.dim('Pending invitations: `latch team invitations` lists them with their ids, to revoke one.'),
    );
  }
}
