import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { findOrFail } from '../../lib/lookup.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'token id (see `latch pats list`)' },
  },
});

/**
 * A new token for the PAT (same id, name, scopes and expiry), printed once on stdout; the old
 * token stops at once. Rotating the token this CLI is signed in with stores the new one.
 */
export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  const usedHere = io.context.tokenSource === 'config' && io.config.data.tokenId === id;
  const pats = usedHere ? [] : await io.api.all(endpoints.pats.list);
  if (!usedHere) {
    const pat = findOrFail(
      pats,
      (p) => p.id === id,
      `No personal access token ${id}.`,
      'Run `latch pats list`.',
    );
    if (pat.status === 'revoked' || pat.status === 'expired') {
      throw new CliError(
        `Personal access token ${pat.name} is ${pat.status}; only a live token can be rotated.`,
        {
          code: 'CONFLICT',
          hint: 'Create a new one with `latch pats create <name>`.',
        },
      );
    }
    await io.confirm(
      `Rotate personal access token ${pat.name} (${pat.prefix}…)? The old token stops working at once.`,
    );
  }
  const rotated = await io.api.call(endpoints.pats.rotate, { params: { id } });
  // The stored login was this PAT: keep signed in with its new token.
  if (usedHere) io.config.update({ token: rotated.token });
  io.result(rotated, (r) => (usedHere ? undefined : r.token));
  io.note(
    `${io.err.green('✓')} Rotated ${io.err.bold(rotated.name)} (${rotated.id}); new prefix ${rotated.prefix}…; the old token no longer works.`,
  );
  if (usedHere)
    io.note('It is the token this CLI is signed in with: the new one is stored, you stay signed in.');
  else io.warn('Copy the new token now: it will not be shown again.');
}
