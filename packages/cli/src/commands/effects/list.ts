import { EFFECT_STATES, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { relative } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  options: {
    state: { flags: '--state <state>', description: 'only this state', choices: [...EFFECT_STATES] },
    endpoint: { flags: '--endpoint <id>', description: 'only deliveries to this webhook endpoint' },
    env: { flags: '-e, --env <env>', description: 'only effects enqueued for this environment' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const query = {
    ...(opts.state ? { state: opts.state as (typeof EFFECT_STATES)[number] } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.env ? { environment: opts.env } : {}),
  };
  const list = await io.api.all(endpoints.effects.list, { params: { org: org.ref }, query });
  io.result(list, () => {
    if (list.length === 0) return `No effects${opts.state ? ` in state ${opts.state}` : ''} in ${org.label}.`;
    const c = io.out;
    return io.table(
      ['ID', 'KIND', 'EVENT', 'URL', 'STATE', 'ATTEMPTS', 'LAST', 'CREATED'],
      list.map((e) => [
        e.id,
        e.kind,
        e.eventType ?? c.dim('-'),
        e.url,
        e.state === 'dead' ? c.red(e.state) : e.state,
        `${e.attempts}/${e.maxAttempts}`,
        e.lastStatus ? String(e.lastStatus) : (e.lastError ?? c.dim('-')),
        relative(e.createdAt),
      ]),
      c.dim,
    );
  });
}
