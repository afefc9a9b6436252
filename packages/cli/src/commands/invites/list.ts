import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const invitations = await io.api.all(endpoints.invitations.mine);
  io.result(invitations, () => {
    if (invitations.length === 0) return 'No pending invitations.';
    const c = io.out;
    return io.table(
      ['ID', 'ORG', 'ROLE', 'INVITED BY', 'EXPIRES'],
      invitations.map((i) => [i.id, i.org.name, i.role, i.invitedBy ?? '-', dateTime(i.expiresAt)]),
      c.dim,
    );
  });
  if (!io.json && invitations.length > 0) io.note(io.err.dim('Accept one with `latch invites accept <id>`.'));
}
