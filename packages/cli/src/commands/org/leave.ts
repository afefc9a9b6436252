import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { CliError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';

export const spec = defineCommand({});

/** `latch org leave`: the active org (or --org). The server refuses the last owner too; this says so first. */
export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const ref = await resolveOrg(io);
  const org = await io.api.call(endpoints.orgs.get, { params: { org: ref.ref } });
  if (org.personal) {
    throw new CliError(`${org.name} is your personal org; you cannot leave it.`, {
      code: 'CONFLICT',
      hint: 'Pick another org to leave with --org <name> (`latch org list` shows yours).',
    });
  }
  if (org.role === 'owner') {
    const members = await io.api.all(endpoints.members.list, { params: { org: org.id } });
    if (members.filter((m) => m.role === 'owner').length <= 1) {
      throw new CliError(`You cannot leave ${org.name}: you are its last owner.`, {
        code: 'CONFLICT',
        hint: `Make another member an owner first (\`latch team role <email> owner\`), or delete the org with \`latch org delete ${org.name}\`.`,
      });
    }
  }
  await io.confirm(`Leave ${org.name}? You lose access to its projects and secrets at once.`);
  const left = await io.api.call(endpoints.members.leave, { params: { org: org.id } });
  if (io.config.data.activeOrg?.id === org.id) io.config.update({ activeOrg: null });
  io.result({ org: { id: org.id, name: org.name }, member: left }, () => undefined);
  io.note(`${io.err.green('✓')} You left ${io.err.bold(org.name)} (you were ${left.role}).`);
}
