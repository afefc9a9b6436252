import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { findOrFail } from '../../lib/lookup.js';
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
  const keys = await io.api.all(endpoints.apiKeys.list, {
    params: { org: sel.org.ref, project: sel.project },
  });
  const found = findOrFail(
    keys,
    (k) => k.id === id,
    `No API key ${id} in ${sel.project}.`,
    `Run \`latch api-keys list --project ${sel.project}\` to see its keys.`,
  );
  await io.confirm(
    `Revoke API key ${found.name} (${found.prefix}…) of ${sel.project}/${found.environment}? Apps using it are refused at once, on every server.`,
  );
  const key = await io.api.call(endpoints.apiKeys.revoke, {
    params: { org: sel.org.ref, project: sel.project, id },
  });
  io.result(key, () => undefined);
  io.note(
    `${io.err.green('✓')} Revoked API key ${io.err.bold(key.name)} (${key.prefix}…) of ${sel.project}/${key.environment}.`,
  );
}
