import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { day, relative } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({
  help: '\nExamples:\n  latch auth identities\n  latch auth identities --json\n  latch auth identities remove idl_…',
});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const links = await io.api.all(endpoints.identities.list);
  io.result(links, () => {
    if (links.length === 0)
      return 'No linked identities. Choose "Sign in with SSO" on the sign-in page (`latch login`) to link one.';
    const c = io.out;
    return io.table(
      ['ID', 'ISSUER', 'SUBJECT', 'EMAIL', 'LINKED', 'LAST USED'],
      links.map((l) => [
        c.dim(l.id),
        l.issuer,
        l.subject,
        l.email ?? c.dim('none'),
        day(l.createdAt),
        l.lastUsedAt ? relative(l.lastUsedAt) : 'never',
      ]),
      c.dim,
    );
  });
}
