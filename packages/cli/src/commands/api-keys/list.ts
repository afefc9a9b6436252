import { type ApiKeyStatus, endpoints } from '@latchkey/core';
import { dateTime, day, relative, table } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { statusText } from '../../lib/key-status.js';
import { requireProject } from '../../lib/project.js';

export type ListApiKeysOptions = { scope?: string; env?: string; status?: string; project?: string };

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
    return table(
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
