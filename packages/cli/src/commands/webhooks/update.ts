import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { describeEndpoint, parseEvents } from './shared.js';

export const spec = defineCommand({
  args: { id: { syntax: '<id>', description: 'endpoint id (whe_…)' } },
  options: {
    url: { flags: '--url <url>', description: 'new URL' },
    events: { flags: '--events <events>', description: 'new comma-separated event list (replaces the old)' },
    description: { flags: '--description <text>', description: 'new note' },
    enable: { flags: '--enable', description: 'enable it again (after it was disabled for failing)' },
    disable: { flags: '--disable', description: 'stop deliveries to it' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const events = parseEvents(opts.events, `latch webhooks update ${opts.id} --events api_key.created`);
  if (opts.enable && opts.disable) throw usageError('Give --enable or --disable, not both.');
  const body = {
    ...(opts.url ? { url: opts.url } : {}),
    ...(events ? { events: events as never } : {}),
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    ...(opts.enable ? { enabled: true } : opts.disable ? { enabled: false } : {}),
  };
  if (Object.keys(body).length === 0) {
    throw usageError(
      'Nothing to change.',
      `Give --url, --events, --description, --enable or --disable, e.g. latch webhooks update ${opts.id} --enable`,
    );
  }
  const org = await resolveOrg(io);
  const updated = await io.api.call(endpoints.webhooks.update, {
    params: { org: org.ref, id: opts.id },
    body,
  });
  io.result(updated, (e) => describeEndpoint(io, e));
  io.note(`${io.err.green('✓')} Updated webhook endpoint ${updated.id}.`);
}
