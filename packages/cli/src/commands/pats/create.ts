import { EXPIRY_BOUNDS, endpoints, parseBoundedDuration } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { printCreated } from '../../lib/shown-once.js';

export const spec = defineCommand({
  args: {
    nameArg: { syntax: '[name]', description: 'token name (or --name)' },
  },
  options: {
    name: { flags: '-n, --name <name>', description: 'token name' },
    expires: {
      flags: '--expires <duration>',
      description:
        'lifetime: 90d, 12h, or a day count (default 120d; a scoped token makes none that outlive it)',
    },
    scope: {
      flags: '-s, --scope <scope...>',
      description: 'cap the token to these permissions, e.g. deploy:write',
    },
  },
  help: '\nExamples:\n  latch pats create "CI deploys" --expires 90d -s deploy:write\n  latch pats create laptop --json',
});

export type CreatePatOptions = OptionsOf<typeof spec>;

export async function run(opts: CreatePatOptions, io: Io): Promise<void> {
  const name = resolveName(opts);
  if (opts.expires !== undefined) {
    const parsed = parseBoundedDuration(opts.expires, EXPIRY_BOUNDS.pat);
    if (!parsed.ok)
      throw usageError(`--expires ${parsed.error}.`, 'Example: --expires 90d (a PAT lasts 1h to 366d).');
  }
  const scopes = opts.scope
    ?.flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const pat = await io.api.call(endpoints.pats.create, {
    body: {
      name,
      ...(opts.expires !== undefined ? { expiresIn: opts.expires.trim() } : {}),
      ...(scopes?.length ? { scopes } : {}),
    },
  });
  printCreated(
    io,
    pat,
    'token',
    (expires) => `Created personal access token ${io.err.bold(pat.name)} (${pat.id}, ${expires}).`,
  );
}

/** The name may be the first argument (`latch pats create ci`) or --name; both must agree. */
function resolveName(opts: CreatePatOptions): string {
  const arg = opts.nameArg?.trim();
  const flag = opts.name?.trim();
  if (arg && flag && arg !== flag) {
    throw usageError(`Two names given ("${arg}" and --name "${flag}").`, 'Give the name once.');
  }
  const name = arg || flag;
  if (!name)
    throw usageError('A token needs a name.', 'Example: latch pats create "CI deploys" --expires 90d');
  return name;
}
