import { type ApiKeyStatus, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime, day, relative } from '../../lib/format.js';

import type { Io } from '../../lib/io.js';
import { statusText } from '../../lib/key-status.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';

export const spec = defineCommand({
  options: {
    scope: { flags: '-s, --scope <scope>', description: 'only keys of this scope' },
    env: { flags: '--env <name>', description: 'only keys of this environment' },
    status: {
      flags: '--status <status>',
      description: 'only keys in this state',
      choices: ['active', 'expiring', 'rotating', 'expired', 'revoked'],
    },
    project: PROJECT_OPTION,
  },
});

export type ListApiKeysOptions = OptionsOf<typeof spec>;

export async function run(opts: ListApiKeysOptions, io: Io): Promise<void> {
  const sel = await requireProject(io, { project: opts.project });
  const filter = {
    ...(opts.scope ? { scope: opts.scope.trim() } : {}),
    ...(opts.env ? { env: opts.env.trim().toLowerCase() } : {}),
    // The server checks it and names the statuses when it is not one.
    ...(opts.status ? { status: opts.status as ApiKeyStatus } : {}),
  };
  const keys = await io.api.all(endpoints.apiKeys.list, {
    params: { org: sel.org.ref, project: sel.project },
    query: filter,
  });
  io.result(keys, () => {
    if (keys.length === 0) {
      const filtered = Object.keys(filter).length > 0 ? ' matching these filters' : '';
      return `No API keys in ${sel.project}${filtered}. Create one with \`latch api-keys create <name> --scope <scope>\`.`;
    }
    const c = io.out;
    return io.table(
      ['NAME', 'ID', 'PREFIX', 'SCOPE', 'ENV', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS'],
      keys.map((k) => [
        k.name,
        c.dim(k.id),
        `${k.prefix}…`,
        k.scope,
        k.environment,
        day(k.createdAt),
        k.lastUsedAt ? relative(k.lastUsedAt) : 'never',
        dateTime(k.expiresAt),
        statusText(c, k.status, k.rotatingUntil),
      ]),
      c.dim,
    );
  });
}
