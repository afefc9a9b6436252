import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({ args: { id: { syntax: '<id>', description: 'effect id (eff_…)' } } });

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const e = await io.api.call(endpoints.effects.retry, { params: { org: org.ref, id: opts.id } });
  io.result(e, () => undefined);
  io.note(`${io.err.green('✓')} Effect ${e.id} is due now (attempt ${e.attempts + 1}).`);
}
