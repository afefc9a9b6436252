import type { Project } from '@latchkey/core';

import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { CliError, EXIT, usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { findLink, LINK_DIR, LINK_FILE, writeLink } from '../../lib/project.js';

export const spec = defineCommand({
  args: {
    project: { syntax: '[project]', description: 'project name or id (asks when omitted)' },
  },
});

/** Asks which project to link; null when the user cancelled. Swappable in tests. */
export type PickProject = (projects: Project[]) => Promise<Project | null>;

export async function run(
  opts: OptionsOf<typeof spec> & { cwd?: string },
  io: Io,
  deps: { pick?: PickProject } = {},
): Promise<void> {
  const cwd = opts.cwd ?? process.cwd();
  const org = await resolveOrg(io);
  const project = opts.project?.trim()
    ? await io.api.call(endpoints.projects.get, { params: { org: org.ref, project: opts.project.trim() } })
    : await pickOne(io, org.label, org.ref, deps.pick ?? pickOnTerminal);
  const before = findLink(cwd);
  const file = writeLink(cwd, { org: org.label, project: project.name });
  io.result({ org: org.label, project: project.name, projectId: project.id, path: file }, () => undefined);
  const was =
    before && before.dir === cwd && before.link.project !== project.name
      ? ` (was ${before.link.project})`
      : '';
  io.note(
    `${io.err.green('✓')} Linked ${cwd} to project ${io.err.bold(project.name)} in ${org.label}${was}; commands run in this folder use it.`,
  );
  io.note(`The link is ${LINK_DIR}/${LINK_FILE}; \`latch env list\` shows its environments.`);
}

async function pickOne(io: Io, orgLabel: string, orgRef: string, pick: PickProject): Promise<Project> {
  if (!io.isTTY) {
    throw usageError(
      'Which project? There is no terminal to choose on.',
      'Pass its name: `latch link <project>` (`latch projects list` shows them).',
    );
  }
  const projects = await io.api.all(endpoints.projects.list, { params: { org: orgRef } });
  if (projects.length === 0) {
    throw new CliError(`No projects in ${orgLabel} yet.`, {
      hint: 'Create one with `latch projects create <name>`, then run `latch link` again.',
    });
  }
  const chosen = await pick(projects);
  if (!chosen)
    throw new CliError('Cancelled; nothing was linked.', { exitCode: EXIT.usage, code: 'CANCELLED' });
  return chosen;
}

const pickOnTerminal: PickProject = async (projects) => {
  // Loaded only when a person is actually asked: @clack/prompts is not on the start-up path.
  const { select, isCancel } = await import('@clack/prompts');
  const answer = await select({
    message: 'Which project should this folder use?',
    options: projects.map((p) => ({
      value: p.id,
      label: p.name,
      hint: p.environments.join(', ') || undefined,
    })),
    output: process.stderr,
  });
  return isCancel(answer) ? null : (projects.find((p) => p.id === answer) ?? null);
};
