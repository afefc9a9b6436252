import { endpoints, ROLES, type Role } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { findOrFail } from '../../lib/lookup.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    member: { syntax: '<email>', description: 'member email or user id' },
    role: { syntax: '<role>', description: `new role: ${ROLES.join(', ')}` },
  },
});

/** `latch team role <email> <role>`: changing roles needs members:manage (owners and admins). */
export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const ref = opts.member.trim();
  const role = opts.role.trim().toLowerCase() as Role;
  if (!ROLES.includes(role)) {
    throw usageError(
      `Unknown role ${opts.role}.`,
      `Use one of ${ROLES.join(', ')}: latch team role ${ref} developer`,
    );
  }
  const org = await resolveOrg(io);
  const members = await io.api.all(endpoints.members.list, { params: { org: org.ref } });
  const member = findOrFail(
    members,
    (m) => m.userId === ref || m.email.toLowerCase() === ref.toLowerCase(),
    `${ref} is not a member of ${org.label}.`,
    'Run `latch team members` to see who is; invite someone with `latch team invite <email>`.',
  );
  if (member.role === role) {
    io.result(member, () => undefined);
    io.note(`${member.email} is already ${role} in ${org.label}; nothing changed.`);
    return;
  }
  const changed = await io.api.call(endpoints.members.update, {
    params: { org: org.ref, member: member.userId },
    body: { role },
  });
  io.result(changed, () => undefined);
  io.note(
    `${io.err.green('✓')} ${io.err.bold(changed.email)} is now ${changed.role} in ${org.label} (was ${member.role}).`,
  );
}
