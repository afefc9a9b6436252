import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({ args: { id: { syntax: '<id>', description: 'endpoint id (whe_…)' } } });

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const rotated = await io.api.call(endpoints.webhooks.rotateSecret, {
    params: { org: org.ref, id: opts.id },
  });
  io.result(rotated, (e) => e.secret);
  io.note(
    `${io.err.green('✓')} New signing secret for ${rotated.id}; deliveries carry both signatures until ${dateTime(rotated.previousSecretExpiresAt)}.`,
  );
  io.warn('Copy the new secret now: it will not be shown again.');
}
