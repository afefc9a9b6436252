import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'key id (see `latch keys list`)' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  const org = await resolveOrg(io);
  await io.confirm(`Revoke platform key ${id} in ${org.label}? Anything using it is refused at once.`);
  const key = await io.api.call(endpoints.platformKeys.revoke, { params: { org: org.ref, id } });
  io.result(key, () => undefined);
  io.note(`${io.err.green('✓')} Revoked platform key ${io.err.bold(key.name)} (${key.prefix}…).`);
}
