import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'invitation id' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const invitation = await io.api.call(endpoints.invitations.decline, { params: { id: opts.id.trim() } });
  io.result(invitation, () => undefined);
  io.note(`${io.err.green('✓')} Declined the invitation to ${invitation.org.name}.`);
}
