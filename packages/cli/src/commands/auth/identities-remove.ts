import { endpoints } from '@latchkey/core';
import type { Io } from '../../lib/io.js';

export async function run(opts: { id: string }, io: Io): Promise<void> {
  const id = opts.id.trim();
  await io.confirm(
    `Unlink identity ${id}? It can no longer sign in to this account until it is linked again.`,
  );
  const link = await io.api.call(endpoints.identities.remove, { params: { id } });
  io.result(link, () => undefined);
  io.note(`${io.err.green('✓')} Unlinked ${io.err.bold(link.subject)} at ${link.issuer}.`);
}
