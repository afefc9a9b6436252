import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { secretHistory, secretsTarget } from '../../lib/secrets.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'UPPER_SNAKE_CASE name' },
  },
  options: {
    reveal: { flags: '--reveal', description: 'show the values too (recorded in the access log)' },
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    project: PROJECT_OPTION,
  },
});

export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const target = await secretsTarget(io, opts);
  const history = await secretHistory(
    io,
    { org: target.sel.org.ref, project: target.sel.project, env: target.env, name: opts.name.trim() },
    Boolean(opts.reveal),
  );
  io.result(history.items, (items) => {
    const c = io.out;
    const rows = items.map((v) => {
      const action = v.rolledBackTo ? `rollback to v${v.rolledBackTo}` : v.action;
      const releases = v.releases.length ? v.releases.map((n) => `v${n}`).join(',') : c.dim('-');
      const row = [`v${v.version}`, action, v.createdBy ?? '', dateTime(v.createdAt), releases];
      if (opts.reveal) row.push(v.value ?? c.dim('(unset)'));
      return row;
    });
    const headers = ['VERSION', 'ACTION', 'BY', 'WHEN', 'RELEASES'];
    return io.table(opts.reveal ? [...headers, 'VALUE'] : headers, rows, c.dim);
  });
  if (opts.reveal) io.warn('Values were shown; this read is recorded in the audit log.');
}
