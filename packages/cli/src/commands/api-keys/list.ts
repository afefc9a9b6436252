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
    ...(opts.status ? { status: opts.status } : {}),
  };
  const keys = await io.api.apiKeys.list(sel.org.ref, sel.project, filter);
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
