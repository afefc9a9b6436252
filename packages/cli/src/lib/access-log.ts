import { type AccessEntry, endpoints, parseDuration } from '@latchkey/core';
import type { OptionDef } from './command.js';
import { usageError } from './exit.js';
import { dateTime } from './format.js';
import type { Io } from './io.js';
import { resolveOrg } from './org.js';

/**
 * `latch audit list --access`: the access log (who read which secret names, never values).
 * Lives here rather than in the audit commands so that `audit list` only adds the flag and one
 * branch; the filters are the ones `audit list` has (--since, --actor) plus --name and --env.
 */
export type AccessListOptions = {
  since?: string | undefined;
  actor?: string | undefined;
  name?: string | undefined;
  env?: string | undefined;
  limit?: string | undefined;
};

/**
 * The flags `latch audit list` adds for the access log; --since and --actor are shared with the
 * audit listing itself, so the command spreads these in next to its own.
 */
export const ACCESS_OPTIONS = {
  access: {
    flags: '--access',
    description: 'the access log instead: who read which secret values (names only, never values)',
  },
  name: { flags: '--name <NAME>', description: 'with --access: only reads of this secret' },
  env: { flags: '--env <name>', description: 'with --access: only reads in this environment' },
  limit: { flags: '--limit <n>', description: 'at most this many entries (default 50)' },
} as const satisfies Record<string, OptionDef>;

export const ACCESS_SINCE_HINT =
  'Use a duration like 24h, 30m or 7d, or an ISO time like 2026-01-31T09:00:00Z.';

/** `24h` (before now) or an ISO date-time, as the ISO time the API takes. */
export function sinceToIso(raw: string, now: number = Date.now()): string {
  const ms = parseDuration(raw);
  if (ms !== null) return new Date(now - ms).toISOString();
  const date = new Date(raw);
  if (/^\d{4}-\d{2}-\d{2}/.test(raw) && !Number.isNaN(date.getTime())) return date.toISOString();
  throw usageError(`--since "${raw}" is neither a duration nor a date-time.`, ACCESS_SINCE_HINT);
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 10_000) {
    throw usageError(`--limit "${raw}" is not a number from 1 to 10000.`, 'For example --limit 200.');
  }
  return n;
}

/** Newest first, up to --limit entries (pages of at most 500 from the API). */
export async function listAccess(opts: AccessListOptions, io: Io): Promise<void> {
  const limit = parseLimit(opts.limit);
  if (opts.name !== undefined && !/^[A-Z][A-Z0-9_]*$/.test(opts.name)) {
    throw usageError(
      `--name "${opts.name}" is not a secret name: names are UPPER_SNAKE_CASE.`,
      'For example --name STRIPE_KEY (`latch secrets list` shows the names).',
    );
  }
  const org = await resolveOrg(io);
  const query = {
    ...(opts.since ? { since: sinceToIso(opts.since) } : {}),
    ...(opts.actor ? { actor: opts.actor } : {}),
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  };
  const items: AccessEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await io.api.call(endpoints.accessLog.list, {
      params: { org: org.ref },
      query: { ...query, limit: Math.min(500, limit - items.length), ...(cursor ? { cursor } : {}) },
    });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < limit);
  io.result(items, (entries) => {
    if (entries.length === 0) {
      const filtered = Object.keys(query).length > 0;
      return `No reads of secret values in ${org.label}${filtered ? ' match these filters' : ' yet'}.`;
    }
    const c = io.out;
    return io.table(
      ['WHEN', 'ACTOR', 'ACTION', 'WHERE', 'NAMES', 'FROM', 'REQUEST'],
      entries.map((e) => [
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
  });
}
