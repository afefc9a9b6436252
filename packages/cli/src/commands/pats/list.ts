import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime, day, relative } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { statusText } from '../../lib/key-status.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const pats = await io.api.all(endpoints.pats.list);
  // Only the stored login is known by id; a LATCH_TOKEN is not marked.
  const current = io.context.tokenSource === 'config' ? io.config.data.tokenId : undefined;
  io.result(pats, () => {
    if (pats.length === 0) return 'No personal access tokens. Create one with `latch pats create <name>`.';
    const c = io.out;
    return io.table(
      ['NAME', 'ID', 'PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'STATUS'],
      pats.map((p) => [
        p.id === current ? `${p.name} ${c.dim('(this CLI)')}` : p.name,
        c.dim(p.id),
        `${p.prefix}…`,
        p.scopes?.length ? p.scopes.join(',') : c.dim('all'),
        day(p.createdAt),
        p.lastUsedAt ? relative(p.lastUsedAt) : 'never',
        dateTime(p.expiresAt),
        statusText(c, p.status),
      ]),
      c.dim,
    );
  });
}
