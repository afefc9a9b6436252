import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';
import { diffLines } from '../../lib/release-diff.js';
import { checkEnvFlag } from '../../lib/secrets.js';

export const spec = defineCommand({
  args: {
    from: { syntax: '<from>', description: 'the older release, e.g. v1' },
    to: { syntax: '<to>', description: 'the newer release, e.g. v3' },
  },
  options: {
    env: { flags: '--env <name>', description: 'environment' },
    project: PROJECT_OPTION,
  },
  help: '\nExamples:\n  latch releases diff v1 v3 --env production\n  latch releases diff v2 v3 --env staging --json',
});

const RELEASE = /^v?\d{1,9}$/i;

/** What changed between two releases: secret names and versions, scopes, routes; never values. */
export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const env = checkEnvFlag(opts.env, 'releases diff');
  for (const ref of [opts.from, opts.to]) {
    if (!RELEASE.test(ref.trim())) {
      throw usageError(
        `"${ref}" is not a release: name one as v3 (or 3).`,
        `Example: latch releases diff v1 v3 --env ${env}`,
      );
    }
  }
  const sel = await requireProject(io, opts);
  const compared = await io.api.call(endpoints.releases.diff, {
    params: { org: sel.org.ref, project: sel.project, env },
    query: { from: opts.from.trim(), to: opts.to.trim() },
  });
  io.result(compared, (r) => {
    const title = `${sel.project}/${env}: v${r.from} → v${r.to}`;
    if (r.diff.empty) return `${title}: no differences.`;
    return `${title}\n${diffLines(io.out, r.diff).join('\n')}`;
  });
}
