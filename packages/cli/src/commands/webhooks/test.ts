import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({ args: { id: { syntax: '<id>', description: 'endpoint id (whe_…)' } } });

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const effect = await io.api.call(endpoints.webhooks.test, { params: { org: org.ref, id: opts.id } });
  io.result(effect, (e) => e.id);
  io.note(`${io.err.green('✓')} Ping enqueued for ${effect.url} (webhook-id ${effect.messageId}).`);
  io.note(`See how it went with \`latch effects show ${effect.id}\`.`);
}
