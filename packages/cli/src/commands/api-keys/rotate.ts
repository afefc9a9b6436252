import { endpoints } from '@latchkey/core';
import { checkGracePeriod } from '../../lib/flags.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { requireProject } from '../../lib/project.js';

export async function run(
  opts: { id: string; gracePeriod?: string; project?: string },
  io: Io,
): Promise<void> {
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
