import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { dateTime } from '../../lib/format.js';

import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { requireProject } from '../../lib/project.js';

export const spec = defineCommand({
  options: {
    env: { flags: '--env <name>', description: 'only this environment' },
    project: PROJECT_OPTION,
  },
});

export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const sel = await requireProject(io, opts);
  const releases = (
    await io.api.all(endpoints.releases.list, {
      params: { org: sel.org.ref, project: sel.project },
      query: opts.env?.trim() ? { env: opts.env.trim() } : {},
    })
  ).sort((a, b) => a.environment.name.localeCompare(b.environment.name) || b.number - a.number);
  io.result(releases, (items) => {
    if (items.length === 0) {
      return `No releases of ${sel.project}${opts.env ? `/${opts.env}` : ''} yet. Make one with \`latch deploy --env <name>\`.`;
    }
    const c = io.out;
    return io.table(
      ['ENV', 'RELEASE', 'SECRETS', 'MANIFEST', 'BY', 'WHEN', 'MESSAGE'],
      items.map((r) => [
        r.environment.name,
        r.current ? c.green(`v${r.number} *`) : `v${r.number}`,
        String(r.variables),
        r.manifestVersion === null ? c.dim('-') : `v${r.manifestVersion}`,
        r.createdBy ?? '',
        dateTime(r.createdAt),
        r.message ?? '',
      ]),
      c.dim,
    );
  });
}
