import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { checkGracePeriod } from '../../lib/flags.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'key id (see `latch keys list`)' },
  },
  options: {
    gracePeriod: {
      flags: '--grace-period <duration>',
      description: 'how long the old secret keeps working: 0 to 30d (default 24h)',
    },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  const { gracePeriod, endsAtOnce } = checkGracePeriod(opts.gracePeriod, 'latch keys rotate <id>');
  const org = await resolveOrg(io);
  // Without a grace period whatever still holds the old secret fails at once: that deserves a question.
  if (endsAtOnce) {
    await io.confirm(`Rotate platform key ${id} with no grace period? The old secret stops working at once.`);
  }
  const key = await io.api.call(endpoints.platformKeys.rotate, {
    params: { org: org.ref, id },
    body: gracePeriod === undefined ? {} : { gracePeriod },
  });
  io.result(key, (k) => k.token);
  io.note(
    `${io.err.green('✓')} Rotated platform key ${io.err.bold(key.name)} (${key.id}); new prefix ${key.prefix}…`,
  );
  io.note(
    key.rotatingUntil
      ? `The old secret keeps working until ${dateTime(key.rotatingUntil)}: update what uses it before then.`
      : 'The old secret no longer works.',
  );
  io.warn('Copy the new key now: it will not be shown again.');
}
