import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'policy id (see `latch trust-policies list`)' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  const org = await resolveOrg(io);
  await io.confirm(
    `Delete trust policy ${id} in ${org.label}? CI jobs it trusts can no longer sign in, and the credentials it issued are revoked at once.`,
  );
  const policy = await io.api.call(endpoints.trustPolicies.delete, { params: { org: org.ref, id } });
  io.result(policy, () => undefined);
  io.note(`${io.err.green('✓')} Deleted trust policy ${io.err.bold(policy.name)} (${policy.id}).`);
}
