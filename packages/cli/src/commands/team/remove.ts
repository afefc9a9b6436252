import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    member: { syntax: '<email>', description: 'member email or user id' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const member = opts.member.trim();
  await io.confirm(
    `Remove ${member} from ${org.label}? They lose access to its projects and secrets at once.`,
  );
  const removed = await io.api.call(endpoints.members.remove, { params: { org: org.ref, member } });
  io.result(removed, () => undefined);
  io.note(`${io.err.green('✓')} Removed ${io.err.bold(removed.email)} (${removed.role}) from ${org.label}.`);
}
