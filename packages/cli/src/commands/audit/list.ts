import { type AuditEvent, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { sinceToIso } from './since.js';

export const spec = defineCommand({
  options: {
    since: {
      flags: '--since <when>',
      description: 'only events since a duration ago (24h, 30d) or a date-time',
    },
    actor: { flags: '--actor <who>', description: "the actor's id, email or key name" },
    action: { flags: '--action <action>', description: 'an action, or a prefix: secret.* or secret.' },
    target: { flags: '--target <target>', description: 'a target id, or type:id' },
    limit: { flags: '--limit <n>', description: 'events per page (1-500)', default: '50' },
    cursor: {
      flags: '--cursor <cursor>',
      description: 'the next page: the cursor the previous page printed',
    },
  },
  help: `
Newest first, one page at a time; the last line says how to get the next page.
Reading the audit log is itself recorded (audit.listed).

Examples:
  latch audit list --since 24h
  latch audit list --action secret.* --actor ana@example.com
  latch audit list --target api_key:key_123 --json`,
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw usageError(`--limit "${opts.limit}" is not a number from 1 to 500.`, 'Example: --limit 100');
  }
  const since = sinceToIso(opts.since);
  const org = await resolveOrg(io);
  const page = await io.api.call(endpoints.audit.list, {
    params: { org: org.ref },
    query: {
      limit,
      ...(opts.cursor ? { cursor: opts.cursor } : {}),
      ...(since ? { since } : {}),
      ...(opts.actor ? { actor: opts.actor } : {}),
      ...(opts.action ? { action: opts.action } : {}),
      ...(opts.target ? { target: opts.target } : {}),
    },
  });
  io.result(page, () => {
    if (page.items.length === 0) return `No audit events in ${org.label} match.`;
    const c = io.out;
    const rows = io.table(
      ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'TARGET'],
      page.items.map((e) => [String(e.seq ?? '-'), dateTime(e.at), actorText(e), e.action, targetText(e)]),
      c.dim,
    );
    const more = page.nextCursor
      ? `\n${c.dim(`More: latch audit list ${nextArgs({ ...opts, ...(since ? { since } : {}) })}--cursor ${page.nextCursor}`)}`
      : '';
    return rows + more;
  });
}

function actorText(e: AuditEvent): string {
  return e.actor.label ?? e.actor.id ?? e.actor.type;
}

function targetText(e: AuditEvent): string {
  if (!e.target) return '';
  return e.target.type ? `${e.target.type}:${e.target.id ?? ''}` : (e.target.id ?? '');
}

/** The same filters again (`--since` as the time it meant), so the next page continues this listing. */
function nextArgs(opts: OptionsOf<typeof spec>): string {
  const parts: string[] = [];
  for (const key of ['since', 'actor', 'action', 'target'] as const) {
    const v = opts[key];
    if (v) parts.push(`--${key} ${/^[\w.:@*-]+$/.test(v) ? v : JSON.stringify(v)}`);
  }
  if (opts.limit !== '50') parts.push(`--limit ${opts.limit}`);
  return parts.length ? `${parts.join(' ')} ` : '';
}
