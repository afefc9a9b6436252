import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'link id (see `latch auth identities`)' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  await io.confirm(
    `Unlink identity ${id}? It can no longer sign in to this account until it is linked again.`,
  );
  const link = await io.api.call(endpoints.identities.remove, { params: { id } });
  io.result(link, () => undefined);
  io.note(`${io.err.green('✓')} Unlinked ${io.err.bold(link.subject)} at ${link.issuer}.`);
}
