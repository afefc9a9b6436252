import { endpoints } from '@latchkey/core';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export async function run(opts: { id: string }, io: Io): Promise<void> {
  const id = opts.id.trim();
  const org = await resolveOrg(io);
  await io.confirm(`Revoke platform key ${id} in ${org.label}? Anything using it is refused at once.`);
  const key = await io.api.call(endpoints.platformKeys.revoke, { params: { org: org.ref, id } });
  io.result(key, () => undefined);
  io.note(`${io.err.green('✓')} Revoked platform key ${io.err.bold(key.name)} (${key.prefix}…).`);
}
