import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';

export const spec = defineCommand({
  options: {
    env: {
      flags: '--env <name...>',
      description: 'the two environments, e.g. --env staging --env production',
    },
    reveal: { flags: '--reveal', description: 'show the differing values (needs secrets:read; audited)' },
    project: PROJECT_OPTION,
  },
  help: '\nExamples:\n  latch secrets diff --env staging --env production\n  latch secrets diff --env staging --env production --reveal',
});

/** Two environments' secrets side by side: names only, unless --reveal (recorded in the audit log). */
export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const envs = (opts.env ?? []).map((e) => e.trim()).filter(Boolean);
  if (envs.length !== 2 || envs[0] === envs[1]) {
    throw usageError(
      'Name two environments: --env <from> --env <to>.',
      'Example: latch secrets diff --env staging --env production',
    );
  }
  const [from, to] = envs as [string, string];
  const sel = await requireProject(io, opts);
  const r = await io.api.call(endpoints.secrets.compare, {
    params: { org: sel.org.ref, project: sel.project },
    query: { from, to, ...(opts.reveal ? { reveal: 'true' as const } : {}) },
  });
  io.result(r, () => {
    const c = io.out;
    const lines = [`${sel.project}: ${from} → ${to}`];
    for (const n of r.onlyInFrom) lines.push(`  ${c.red(`- ${n}`)} ${c.dim(`(only in ${from})`)}`);
    for (const n of r.onlyInTo) lines.push(`  ${c.green(`+ ${n}`)} ${c.dim(`(only in ${to})`)}`);
    for (const d of r.different) {
      lines.push(
        `  ${c.yellow(`~ ${d.name}`)}${r.revealed ? `: ${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}` : ' (values differ)'}`,
      );
    }
    if (lines.length === 1) lines.push('  no differences');
    lines.push(c.dim(`  ${r.same.length} the same`));
    return lines.join('\n');
  });
  if (r.revealed) io.note('The values shown were recorded as a read in the audit log.');
}
