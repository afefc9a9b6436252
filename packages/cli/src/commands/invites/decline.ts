import type { Io } from '../../lib/io.js';

export async function run(opts: { id: string }, io: Io): Promise<void> {
  const invitation = await io.api.invitations.decline(opts.id.trim());
  io.result(invitation, () => undefined);
  io.note(`${io.err.green('✓')} Declined the invitation to ${invitation.org.name}.`);
}
