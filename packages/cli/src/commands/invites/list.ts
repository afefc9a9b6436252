import { endpoints } from '@latchkey/core';
import { dateTime, table } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';

export async function run(_opts: Record<string, never>, io: Io): Promise<void> {
  const invitations = await io.api.all(endpoints.invitations.mine);
  io.result(invitations, () => {
    if (invitations.length === 0) return 'No pending invitations.';
    const c = io.out;
    return table(
      ['ID', 'ORG', 'ROLE', 'INVITED BY', 'EXPIRES'],
      invitations.map((i) => [i.id, i.org.name, i.role, i.invitedBy ?? '-', dateTime(i.expiresAt)]),
      c.dim,
    );
  });
  if (!io.json && invitations.length > 0) io.note(io.err.dim('Accept one with `latch invites accept <id>`.'));
}
