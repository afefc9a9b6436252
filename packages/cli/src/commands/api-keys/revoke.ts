import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';

export const spec = defineCommand({
  args: {
    id: { syntax: '<id>', description: 'key id (see `latch api-keys list`)' },
  },
  options: {
    project: PROJECT_OPTION,
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const id = opts.id.trim();
  const sel = await requireProject(io, { project: opts.project });
  await io.confirm(
    `Revoke API key ${id} of ${sel.project}? Apps using it are refused at once, on every server.`,
  );
  const key = await io.api.call(endpoints.apiKeys.revoke, {
    params: { org: sel.org.ref, project: sel.project, id },
  });
  io.result(key, () => undefined);
  io.note(
    `${io.err.green('✓')} Revoked API key ${io.err.bold(key.name)} (${key.prefix}…) of ${sel.project}/${key.environment}.`,
  );
}
