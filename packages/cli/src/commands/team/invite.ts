import type { Role } from '@latchkey/core';

import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { ROLES } from '../../lib/options.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    email: { syntax: '<email>', description: 'email address to invite' },
  },
  options: {
    role: { flags: '-r, --role <role>', description: 'role to give', choices: ROLES, default: 'developer' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const email = opts.email.trim();
  // Only a shape check to catch slips like a missing argument; the server validates properly.
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw usageError(
      `"${opts.email}" is not an email address.`,
      'Usage: latch team invite <email> --role <role>',
    );
  }
  const org = await resolveOrg(io);
  const invitation = await io.api.call(endpoints.invitations.create, {
    params: { org: org.ref },
    body: { email, role: opts.role },
  });
  io.result(invitation, () => undefined);
  io.note(
    `${io.err.green('✓')} Invited ${io.err.bold(invitation.email)} to ${invitation.org.name} as ${invitation.role}.`,
  );
  io.note(`They accept with \`latch invites accept ${invitation.id}\` (or on the dashboard).`);
}
