import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { findOrFail } from '../../lib/lookup.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    member: { syntax: '<email>', description: 'member email or user id' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const member = opts.member.trim();
  const members = await io.api.all(endpoints.members.list, { params: { org: org.ref } });
  const found = findOrFail(
    members,
    (m) => m.userId === member || m.email.toLowerCase() === member.toLowerCase(),
    `${member} is not a member of ${org.label}.`,
    'Run `latch team members` to see who is (a pending invitation is revoked with `latch team invitations revoke <id>`).',
  );
  await io.confirm(
    `Remove ${found.email} (${found.role}) from ${org.label}? They lose access to its projects and secrets at once.`,
  );
  const removed = await io.api.call(endpoints.members.remove, {
    params: { org: org.ref, member: found.userId },
  });
  io.result(removed, () => undefined);
  io.note(`${io.err.green('✓')} Removed ${io.err.bold(removed.email)} (${removed.role}) from ${org.label}.`);
}
