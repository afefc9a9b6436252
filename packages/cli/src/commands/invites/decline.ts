import { endpoints } from '@latchkey/core';
import type { Io } from '../../lib/io.js';

export async function run(opts: { id: string }, io: Io): Promise<void> {
  const invitation = await io.api.call(endpoints.invitations.decline, { params: { id: opts.id.trim() } });
  io.result(invitation, () => undefined);
  io.note(`${io.err.green('✓')} Declined the invitation to ${invitation.org.name}.`);
}
