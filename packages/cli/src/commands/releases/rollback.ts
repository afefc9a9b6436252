import { type Deployed, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { CliError, usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';
import { checkEnvFlag, plural } from '../../lib/secrets.js';

export const spec = defineCommand({
  options: {
    env: { flags: '--env <name>', description: 'environment' },
    to: { flags: '--to <release>', description: 'the release to restore, e.g. v3' },
    releaseOnly: {
      flags: '--release-only',
      description: 'only make the release; keep the newer working values (the next deploy undoes it)',
    },
    project: PROJECT_OPTION,
  },
});

/** A new release with an old one's secret versions and manifest: what runs changes, history grows. */
export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const env = checkEnvFlag(opts.env, 'releases rollback');
  const to = opts.to?.trim();
  if (!to || !/^v?\d+$/i.test(to)) {
    throw usageError('Say which release: --to v3.', `See them with \`latch releases list --env ${env}\`.`);
  }
  const sel = await requireProject(io, opts);
  const label = to.toLowerCase().startsWith('v') ? to.toLowerCase() : `v${to}`;
  // Check first, then ask: a question about a release that does not exist wastes an answer.
  const releases = await io.api.all(endpoints.releases.list, {
    params: { org: sel.org.ref, project: sel.project },
    query: { env },
  });
  if (!releases.some((r) => `v${r.number}` === label)) {
    const newest = releases.map((r) => r.number).sort((a, b) => b - a);
    throw new CliError(`${sel.project}/${env} has no release ${label}.`, {
      code: 'NOT_FOUND',
      hint: newest.length
        ? `Its releases go from v1 to v${newest[0]}; see them with \`latch releases list --env ${env}\`.`
        : `It has no releases yet: make one with \`latch deploy --env ${env}\`.`,
    });
  }
  const how = opts.releaseOnly
    ? ' (release only: the working set keeps its newer values)'
    : ' (and set each secret back to its value there, as a new version)';
  await io.confirm(
    `Roll ${sel.project}/${env} back to ${label}'s secrets and manifest as a new release${how}?`,
  );
  const spinner = io.spinner(`Rolling ${sel.project}/${env} back to ${label}…`);
  let made: Deployed;
  try {
    made = await io.api.call(endpoints.releases.rollback, {
      params: { org: sel.org.ref, project: sel.project, env, release: label },
      body: opts.releaseOnly ? { releaseOnly: true } : {},
    });
  } finally {
    spinner.stop();
  }
  io.result(made, () => undefined);
  io.note(
    `${io.err.green('✓')} Released ${io.err.bold(`v${made.number}`)} to ${sel.project}/${env} with ${label}'s contents (${plural(made.variables, 'secret')}).`,
  );
  if (opts.releaseOnly) {
    io.warn(
      `The working set still holds the newer values, so the next \`latch deploy --env ${env}\` will undo this rollback. Run \`latch releases rollback --env ${env} --to ${label}\` without --release-only to restore them too.`,
    );
  } else if (made.restored.length) {
    io.note(
      `  Working set restored too (${made.restored.join(', ')}): the next deploy keeps ${label}'s values.`,
    );
  }
}
