import { endpoints } from '@latchkey/core';
import { defineCommand } from '../../lib/command.js';
import { day } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({});

/** `latch team invitations`: what the org sent that nobody has answered yet. */
export async function run(_opts: Record<string, never>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const invitations = await io.api.all(endpoints.invitations.listForOrg, { params: { org: org.ref } });
  io.result(invitations, () => {
    if (invitations.length === 0) return `No pending invitations in ${org.label}.`;
    return io.table(
      ['ID', 'EMAIL', 'ROLE', 'INVITED BY', 'SENT', 'EXPIRES', 'STATUS'],
      invitations.map((i) => [
        i.id,
        i.email,
        i.role,
        i.invitedBy ?? '-',
        day(i.createdAt),
        day(i.expiresAt),
        i.status,
      ]),
      io.out.dim,
    );
  });
  if (!io.json && invitations.length > 0)
    io.note(io.err.dim('Revoke one with `latch team invitations revoke <id>`.'));
}
