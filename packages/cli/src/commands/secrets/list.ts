import type { SecretList } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { listSecrets, plural, secretsTarget, statusText } from '../../lib/secrets.js';

export const spec = defineCommand({
  options: {
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    project: PROJECT_OPTION,
  },
});

/**
 * When the live release is a rollback and values written before it wait for a deploy, deploying
 * brings them back: say so plainly rather than "changes not live, run deploy".
 */
function rollbackUndone(list: SecretList, env: string): string | null {
  const r = list.release;
  if (!r || r.rollbackOf === null) return null;
  const back = list.items.filter(
    (i) => i.status !== 'live' && i.updatedAt !== null && i.updatedAt < r.createdAt,
  );
  if (back.length === 0) return null;
  return `Release v${r.number} is a rollback to v${r.rollbackOf}, but the working set still holds the newer ${back.map((i) => i.name).join(', ')}: deploying will undo the rollback. To keep it, run \`latch releases rollback --env ${env} --to v${r.rollbackOf}\` (restores the working set); deploy only if you mean to undo it.`;
}

export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const target = await secretsTarget(io, opts);
  const list = await listSecrets(io, target.sel.org.ref, target.sel.project, target.env);
  io.result(list.items, (items) => {
    if (items.length === 0) {
      return `No secrets in ${target.where}. Set one with \`latch secrets set NAME value --env ${target.env}\`.`;
    }
    const c = io.out;
    // Without secrets:read the server sends names only.
    const detailed = items.some((i) => i.version !== null);
    const rows = items.map((i) => {
      const name = i.managed ? `${i.name} ${c.dim('(managed)')}` : i.name;
      if (!detailed) return [name, statusText(c, i.status)];
      return [
        name,
        i.masked ?? c.dim('(unset)'),
        i.version === null ? '' : `v${i.version}`,
        statusText(c, i.status),
        i.updatedBy ?? '',
        dateTime(i.updatedAt),
      ];
    });
    const headers = detailed
      ? ['NAME', 'VALUE', 'VERSION', 'STATUS', 'UPDATED BY', 'UPDATED']
      : ['NAME', 'STATUS'];
    const pending = items.filter((i) => i.status !== 'live').length;
    const release = list.release ? `release v${list.release.number}` : 'no release yet';
    const footer = pending
      ? `${plural(pending, 'change')} not live (${release}): run \`latch deploy --env ${target.env}\`.`
      : `All live in ${release}.`;
    const undo = rollbackUndone(list, target.env);
    return `${io.table(headers, rows, c.dim)}\n\n${undo ? c.yellow(undo) : c.dim(footer)}`;
  });
}
