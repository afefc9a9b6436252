import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import { day } from '../../lib/format.js';
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
  // Without a mail server the link is the result, alone on stdout (or inside the JSON): the
  // server never stores it, so this is the only time it exists.
  io.result(invitation, (i) => i.link ?? undefined);
  io.note(
    `${io.err.green('✓')} Invited ${io.err.bold(invitation.email)} to ${invitation.org.name} as ${invitation.role}.`,
  );
  const until = day(invitation.expiresAt);
  if (invitation.delivery === 'email') {
    io.note(`We emailed them a link that works once, until ${until}.`);
  } else {
    io.note(
      `This server sends no email (LATCH_SMTP_URL is not set), so pass the link above to them yourself. It works once, until ${until}.`,
    );
    io.warn('Copy the link now: it will not be shown again.');
  }
  io.note(
    io.err.dim(
      `With an account they can also run \`latch invites accept ${invitation.id}\`. See the pending ones with \`latch team invitations\`.`,
    ),
  );
}
