import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'invitation id' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const { invitation, org } = await io.api.call(endpoints.invitations.accept, {
    params: { id: opts.id.trim() },
  });
  io.result({ invitation, org }, () => undefined);
  io.note(`${io.err.green('✓')} Joined ${io.err.bold(org.name)} as ${invitation.role}.`);
  if (io.config.data.activeOrg?.id !== org.id) {
    io.note(`Make it your active org with \`latch org use ${org.id}\`.`);
  }
}
