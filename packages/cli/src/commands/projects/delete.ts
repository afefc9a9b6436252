import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'project name or id' },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const ref = opts.name.trim();
  const org = await resolveOrg(io);
  // Check first, then ask: GET answers 404 for a project that is not there (or in another org).
  const projects = await io.api.all(endpoints.projects.list, { params: { org: org.ref } });
  const project = projects.find((p) => p.id === ref || p.name.toLowerCase() === ref.toLowerCase());
  if (!project) {
    throw new CliError(`No project ${ref} in ${org.label}.`, {
      code: 'NOT_FOUND',
      hint: 'Run `latch projects list` to see the projects.',
    });
  }
  const envs = project.environments.length
    ? `its environments ${project.environments.join(', ')}`
    : 'its (no) environments';
  await io.confirm(
    `Delete project ${project.name} in ${org.label}, with ${envs}, their secrets, releases and API keys? Apps using its keys are refused at once.`,
  );
  const deleted = await io.api.call(endpoints.projects.delete, {
    params: { org: org.ref, project: project.id },
  });
  io.result(deleted, () => undefined);
  const n = deleted.deletedApiKeys;
  const also = n ? ` and ${n} API key${n === 1 ? '' : 's'}` : '';
  io.note(`${io.err.green('✓')} Deleted project ${io.err.bold(deleted.name)}${also}.`);
}
