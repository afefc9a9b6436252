import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { checkGracePeriod } from '../../lib/flags.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'key id (see `latch api-keys list`)' },
  },
  options: {
    gracePeriod: {
      flags: '--grace-period <duration>',
      description: 'how long the old secret keeps working: 0 to 30d (default 24h)',
    },
    project: PROJECT_OPTION,
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  const { gracePeriod, endsAtOnce } = checkGracePeriod(opts.gracePeriod, 'latch api-keys rotate <id>');
  const sel = await requireProject(io, { project: opts.project });
  // Without a grace period every app still holding the old secret fails at once: that deserves a question.
  if (endsAtOnce) {
    await io.confirm(
      `Rotate API key ${id} with no grace period? Apps using the old secret are refused at once.`,
    );
  }
  const key = await io.api.call(endpoints.apiKeys.rotate, {
    params: { org: sel.org.ref, project: sel.project, id },
    body: gracePeriod === undefined ? {} : { gracePeriod },
  });
  io.result(key, (k) => k.token);
  io.note(
    `${io.err.green('✓')} Rotated API key ${io.err.bold(key.name)} (${key.id}); new prefix ${key.prefix}…`,
  );
  io.note(
    key.rotatingUntil
      ? `The old secret keeps working until ${dateTime(key.rotatingUntil)}: update the apps that use it before then.`
      : 'The old secret no longer works.',
  );
  io.warn('Copy the new key now: it will not be shown again.');
}
