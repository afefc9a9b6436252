import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { parseEvents } from './shared.js';

const EXAMPLE =
  'latch webhooks create --url https://example.com/hooks --events api_key.created,secret.changed';

export const spec = defineCommand({
  options: {
    url: { flags: '--url <url>', description: 'where deliveries are POSTed (https in production)' },
    events: {
      flags: '--events <events>',
      description: 'comma-separated events, e.g. api_key.created,release.created',
    },
    description: { flags: '--description <text>', description: 'a note for people' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  if (!opts.url) throw usageError('Give the endpoint URL with --url.', `Example: ${EXAMPLE}`);
  const events = parseEvents(opts.events ?? '', EXAMPLE) as string[];
  const org = await resolveOrg(io);
  const created = await io.api.call(endpoints.webhooks.create, {
    params: { org: org.ref },
    body: {
      url: opts.url,
      events: events as never,
      ...(opts.description ? { description: opts.description } : {}),
    },
  });
  io.result(created, (e) => e.secret);
  io.note(
    `${io.err.green('✓')} Created webhook endpoint ${io.err.bold(created.id)} in ${org.label} for ${created.events.join(', ')}.`,
  );
  io.warn(
    'Copy the signing secret now: it will not be shown again. Verify deliveries with any Standard Webhooks library.',
  );
  io.note(`Send a ping with \`latch webhooks test ${created.id}\`.`);
}
