import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { relative } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const list = await io.api.all(endpoints.webhooks.list, { params: { org: org.ref } });
  io.result(list, () => {
    if (list.length === 0) {
      return `No webhook endpoints in ${org.label}. Create one with \`latch webhooks create --url <url> --events api_key.created\`.`;
    }
    const c = io.out;
    return io.table(
      ['ID', 'URL', 'EVENTS', 'ENABLED', 'FAILING SINCE'],
      list.map((e) => [
        e.id,
        e.url,
        e.events.join(','),
        e.enabled ? 'yes' : c.red('no'),
        e.failingSince ? relative(e.failingSince) : c.dim('-'),
      ]),
      c.dim,
    );
  });
}
