import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'invitation id (see `latch team invitations`)' },
  },
});

/** `latch team invitations revoke <id>`: the link stops working at once. */
export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const revoked = await io.api.call(endpoints.invitations.revoke, {
    params: { org: org.ref, id: opts.id.trim() },
  });
  io.result(revoked, () => undefined);
  io.note(
    `${io.err.green('✓')} Revoked the invitation of ${io.err.bold(revoked.email)} (${revoked.role}) to ${revoked.org.name}; its link no longer works.`,
  );
}
