import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { findOrFail, sameRef } from '../../lib/lookup.js';

export const spec = defineCommand({
  args: {
    name: { syntax: '<name>', description: 'the org to delete (its name or id)' },
  },
  help: `
Deletes the org and everything in it: projects, environments, secrets, releases, API keys,
platform keys, service accounts, memberships and invitations. Its audit entries are kept.
Owner only. On a terminal you type the org's name to confirm; --yes skips that (scripts).`,
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const ref = opts.name.trim();
  const orgs = await io.api.all(endpoints.orgs.list);
  const org = findOrFail(
    orgs,
    (o) => sameRef(ref, o),
    `You are not a member of org ${ref}, or it does not exist.`,
    'Run `latch org list` to see yours.',
  );
  if (org.personal) {
    throw new CliError(`${org.name} is your personal org; it cannot be deleted.`, {
      code: 'CONFLICT',
      hint: 'Delete its projects instead (`latch projects delete <name>`).',
    });
  }
  if (org.role !== 'owner') {
    throw new CliError(`Only an owner can delete ${org.name}; your role is ${org.role ?? 'none'}.`, {
      code: 'PERMISSION_DENIED',
      hint: 'Ask an owner (`latch team members` lists them), or leave it with `latch org leave`.',
    });
  }
  const projects = await io.api.all(endpoints.projects.list, { params: { org: org.id } });
  const what = projects.length
    ? `its ${projects.length} project${projects.length === 1 ? '' : 's'} (${projects.map((p) => p.name).join(', ')})`
    : 'its members, keys and invitations';
  await io.confirmTyped(
    `Delete org ${org.name} and ${what}, with every secret and key in it? This cannot be undone.`,
    org.name,
  );
  const deleted = await io.api.call(endpoints.orgs.delete, { params: { org: org.id } });
  if (io.config.data.activeOrg?.id === org.id) io.config.update({ activeOrg: null });
  io.result(deleted, () => undefined);
  const d = deleted.deleted;
  io.note(
    `${io.err.green('✓')} Deleted org ${io.err.bold(deleted.name)} (${d.projects} project${d.projects === 1 ? '' : 's'}, ${d.environments} environment${d.environments === 1 ? '' : 's'}, ${d.members} member${d.members === 1 ? '' : 's'}).`,
  );
}
