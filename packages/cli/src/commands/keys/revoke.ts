import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { findOrFail } from '../../lib/lookup.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'key id (see `latch keys list`)' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  const org = await resolveOrg(io);
  const keys = await io.api.all(endpoints.platformKeys.list, { params: { org: org.ref } });
  const found = findOrFail(
    keys,
    (k) => k.id === id,
    `No platform key ${id} in ${org.label}.`,
    'Run `latch keys list` to see its keys.',
  );
  await io.confirm(
    `Revoke platform key ${found.name} (${found.prefix}…, ${found.scopes.join(', ')}) in ${org.label}? Anything using it is refused at once.`,
  );
  const key = await io.api.call(endpoints.platformKeys.revoke, { params: { org: org.ref, id } });
  io.result(key, () => undefined);
  io.note(`${io.err.green('✓')} Revoked platform key ${io.err.bold(key.name)} (${key.prefix}…).`);
}
