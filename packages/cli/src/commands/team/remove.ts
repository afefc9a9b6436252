import { endpoints } from '@latchkey/core';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export async function run(opts: { member: string }, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const member = opts.member.trim();
  await io.confirm(
    `Remove ${member} from ${org.label}? They lose access to its projects and secrets at once.`,
  );
  const removed = await io.api.call(endpoints.members.remove, { params: { org: org.ref, member } });
  io.result(removed, () => undefined);
  io.note(`${io.err.green('✓')} Removed ${io.err.bold(removed.email)} (${removed.role}) from ${org.label}.`);
}
