import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { day } from '../../lib/format.js';

import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { findLink, sortEnvironments } from '../../lib/project.js';

export const spec = defineCommand({});

export async function run(opts: OptionsOf<typeof spec> & { cwd?: string }, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const projects = await io.api.all(endpoints.projects.list, { params: { org: org.ref } });
  const link = findLink(opts.cwd ?? process.cwd());
  // The folder's linked project is marked, as long as the link points into this org.
  const linkedHere = (name: string) =>
    Boolean(
      link &&
        link.link.project === name &&
        [org.ref.toLowerCase(), org.label.toLowerCase()].includes(link.link.org.toLowerCase()),
    );
  io.result(
    projects.map((p) => ({ ...p, linked: linkedHere(p.name) })),
    () => {
      if (projects.length === 0) {
        return `No projects in ${org.label} yet. Create one with \`latch projects create <name>\`.`;
      }
      const c = io.out;
      return io.table(
        ['  NAME', 'ID', 'KEY PREFIX', 'ENVIRONMENTS', 'CREATED'],
        projects.map((p) => [
          `${linkedHere(p.name) ? '*' : ' '} ${p.name}`,
          c.dim(p.id),
          `${p.keyPrefix}…`,
          p.environments.length
            ? sortEnvironments(p.environments.map((name) => ({ name })))
                .map((e) => e.name)
                .join(', ')
            : c.dim('none'),
          day(p.createdAt),
        ]),
        c.dim,
      );
    },
  );
}
