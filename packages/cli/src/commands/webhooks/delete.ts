import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({ args: { id: { syntax: '<id>', description: 'endpoint id (whe_…)' } } });

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const deleted = await io.api.call(endpoints.webhooks.delete, { params: { org: org.ref, id: opts.id } });
  io.result(deleted, () => undefined);
  io.note(
    `${io.err.green('✓')} Deleted webhook endpoint ${deleted.id} (${deleted.url}); its waiting deliveries are cancelled.`,
  );
}
