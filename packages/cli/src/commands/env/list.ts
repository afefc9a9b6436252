import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { day } from '../../lib/format.js';

import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject, sortEnvironments } from '../../lib/project.js';

export const spec = defineCommand({
  options: {
    project: PROJECT_OPTION,
  },
});

export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const sel = await requireProject(io, opts);
  const envs = sortEnvironments(
    await io.api.all(endpoints.environments.list, { params: { org: sel.org.ref, project: sel.project } }),
  );
  io.result(envs, () => {
    if (envs.length === 0) {
      return `Project ${sel.project} has no environments yet. Create one with \`latch env create development\`.`;
    }
    const c = io.out;
    return io.table(
      ['NAME', 'ID', 'MANIFEST', 'CREATED'],
      envs.map((e) => [
        e.name,
        c.dim(e.id),
        e.manifest ? `v${e.manifest.version} (${day(e.manifest.pushedAt)})` : c.dim('none pushed'),
        day(e.createdAt),
      ]),
      c.dim,
    );
  });
}
