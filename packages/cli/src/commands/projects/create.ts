import { endpoints, keyPrefixError, normalizeKeyPrefix, projectNameError } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'lowercase letters, digits and dashes' },
  },
  options: {
    prefix: {
      flags: '--prefix <prefix>',
      description: "its API keys' prefix (default: from the name, e.g. acme_)",
    },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const name = opts.name.trim();
  // The server checks the same rules; checking here makes a typo a usage error without a round trip.
  const nameError = projectNameError(name);
  if (nameError) throw usageError(`${nameError}.`, 'Example: latch projects create acme-api');
  const keyPrefix = opts.prefix === undefined ? undefined : normalizeKeyPrefix(opts.prefix);
  const prefixError = keyPrefix === undefined ? null : keyPrefixError(keyPrefix);
  if (prefixError)
    throw usageError(`--prefix ${prefixError}.`, 'Example: --prefix acme (keys then start with acme_)');
  const org = await resolveOrg(io);
  const project = await io.api.call(endpoints.projects.create, {
    params: { org: org.ref },
    body: { name, ...(keyPrefix ? { keyPrefix } : {}) },
  });
  io.result(project, () => undefined);
  io.note(
    `${io.err.green('✓')} Created project ${io.err.bold(project.name)} (${project.id}) in ${org.label}; its API keys start with ${project.keyPrefix}.`,
  );
  io.note(
    `Next: \`latch link ${project.name}\` in its folder, then \`latch env create development\` (or staging, production).`,
  );
}
