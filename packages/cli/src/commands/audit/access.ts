import { endpoints } from '@latchkey/core';
import type { OptionDef } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { sinceToIso } from './since.js';

/**
 * `latch audit list --access`: the access log (who read which secret names, never values), paged
 * like the audit listing (one page, `--cursor` for the next). --since, --actor, --limit and
 * --cursor are the audit listing's own flags; these are the ones --access adds.
 */
export const ACCESS_OPTIONS = {
  access: {
    flags: '--access',
    description: 'the access log instead: who read which secret values (names, never values)',
  },
  name: { flags: '--name <NAME>', description: 'with --access: only reads of this secret' },
  env: { flags: '--env <name>', description: 'with --access: only reads in this environment' },
} as const satisfies Record<string, OptionDef>;

export type AccessListOptions = {
  since?: string | undefined;
  actor?: string | undefined;
  name?: string | undefined;
  env?: string | undefined;
  /** Checked by the caller (1-500). */
  limit: number;
  cursor?: string | undefined;
};

export async function listAccess(opts: AccessListOptions, io: Io): Promise<void> {
  if (opts.name !== undefined && !/^[A-Z][A-Z0-9_]*$/.test(opts.name)) {
    throw usageError(
      `--name "${opts.name}" is not a secret name: names are UPPER_SNAKE_CASE.`,
      'For example --name STRIPE_KEY (`latch secrets list` shows the names).',
    );
  }
  const since = sinceToIso(opts.since);
  const org = await resolveOrg(io);
  const filters = {
    ...(since ? { since } : {}),
    ...(opts.actor ? { actor: opts.actor } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  };
  const page = await io.api.call(endpoints.accessLog.list, {
    params: { org: org.ref },
    query: { ...filters, limit: opts.limit, ...(opts.cursor ? { cursor: opts.cursor } : {}) },
  });
  io.result(page, () => {
    if (page.items.length === 0) {
      return `No reads of secret values in ${org.label}${Object.keys(filters).length ? ' match' : ' yet'}.`;
    }
    const c = io.out;
    const rows = io.table(
      ['TIME', 'ACTOR', 'ACTION', 'WHERE', 'NAMES', 'FROM', 'REQUEST'],
      page.items.map((e) => [
        dateTime(e.at),
        e.actor.label ?? e.actor.id ?? e.actor.type,
        e.action,
        [e.project, e.environment].filter(Boolean).join('/'),
        e.names.join(','),
        e.actor.ip ?? '',
        c.dim(e.actor.requestId ?? ''),
      ]),
      c.dim,
    );
    if (!page.nextCursor) return rows;
    const again = Object.entries(filters).map(
      ([k, v]) => `--${k} ${/^[\w.:@*-]+$/.test(v) ? v : JSON.stringify(v)}`,
    );
    if (opts.limit !== 50) again.push(`--limit ${opts.limit}`);
    return `${rows}\n${c.dim(`More: latch audit list --access ${again.map((a) => `${a} `).join('')}--cursor ${page.nextCursor}`)}`;
  });
}
