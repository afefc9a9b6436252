import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { withoutAuth } from '../../lib/config.js';
import type { Io } from '../../lib/io.js';
import { findOrFail } from '../../lib/lookup.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'token id (see `latch pats list`)' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  const usedHere = io.context.tokenSource === 'config' && io.config.data.tokenId === id;
  const also = usedHere ? ' It is the token this CLI is signed in with, so you will be signed out.' : '';
  // A scoped PAT may revoke itself but not list the others: then its own id is all there is to check.
  const found = usedHere
    ? { name: `${id} (the token this CLI is signed in with)`, prefix: '' }
    : findOrFail(
        await io.api.all(endpoints.pats.list),
        (p) => p.id === id,
        `No personal access token ${id}.`,
        'Run `latch pats list`.',
      );
  const label = found.prefix ? `${found.name} (${found.prefix}…)` : found.name;
  await io.confirm(`Revoke personal access token ${label}? Anything using it is refused at once.${also}`);
  const pat = await io.api.call(endpoints.pats.revoke, { params: { id } });
  if (usedHere) io.config.replace(withoutAuth(io.config.data));
  io.result(pat, () => undefined);
  io.note(`${io.err.green('✓')} Revoked ${io.err.bold(pat.name)} (${pat.prefix}…).`);
  if (usedHere) io.note('You are now signed out. Run `latch login` to sign in again.');
}
