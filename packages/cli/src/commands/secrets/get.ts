import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { secretsTarget } from '../../lib/secrets.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'UPPER_SNAKE_CASE name' },
  },
  options: {
    version: { flags: '--version <n>', description: 'an older version' },
    raw: { flags: '--raw', description: 'the stored value, secret references left unresolved' },
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    project: PROJECT_OPTION,
  },
});

/** Prints the value alone on stdout (like printenv), so `$(latch secrets get X)` works. */
export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const target = await secretsTarget(io, opts);
  const version = opts.version ? Number(opts.version) : undefined;
  const secret = await io.api.call(endpoints.secrets.get, {
    params: { org: target.sel.org.ref, project: target.sel.project, env: target.env, name: opts.name.trim() },
    // Without --raw the server resolves references against the newest values (not the release).
    query: { ...(version ? { version } : {}), ...(opts.raw ? { raw: 'true' as const } : {}) },
  });
  io.result(secret, (s) => s.value);
}
