import { EXPIRY_BOUNDS, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import { checkDuration, nameFrom, parseScopes } from '../../lib/flags.js';
import type { Io } from '../../lib/io.js';
import { KEY_EXPIRES_OPTION } from '../../lib/options.js';
import { resolveOrg } from '../../lib/org.js';
import { printCreated } from '../../lib/shown-once.js';

export const spec = defineCommand({
  args: {
    nameArg: { syntax: '[name]', description: 'key name (or --name)' },
  },
  options: {
    name: { flags: '-n, --name <name>', description: 'key name' },
    scope: {
      flags: '-s, --scope <scope...>',
      description: 'permissions the key has, e.g. deploy:write,secrets:read (never more than yours)',
    },
    expires: KEY_EXPIRES_OPTION,
  },
  help: '\nExamples:\n  latch keys create "GitHub Actions" -s deploy:write,secrets:read --expires 90d\n  LATCH_TOKEN=lk_key_… latch keys list',
});

export type CreateKeyOptions = OptionsOf<typeof spec>;

const EXAMPLE = 'latch keys create "GitHub Actions" -s deploy:write,secrets:read --expires 90d';

export async function run(opts: CreateKeyOptions, io: Io): Promise<void> {
  const name = nameFrom(opts.nameArg, opts.name, 'A platform key', EXAMPLE);
  const scopes = parseScopes(opts.scope);
  if (scopes.length === 0) {
    throw usageError('A platform key needs at least one scope (-s resource:level).', `Example: ${EXAMPLE}`);
  }
  const expiresIn = checkDuration('--expires', opts.expires, EXPIRY_BOUNDS.key, `${EXAMPLE} (1h to 365d)`);
  const org = await resolveOrg(io);
  const key = await io.api.call(endpoints.platformKeys.create, {
    params: { org: org.ref },
    body: { name, scopes, ...(expiresIn ? { expiresIn } : {}) },
  });
  printCreated(
    io,
    key,
    'key',
    (expires) =>
      `Created platform key ${io.err.bold(key.name)} (${key.id}) in ${org.label}: ${key.scopes.join(', ')}; ${expires}.`,
  );
}
