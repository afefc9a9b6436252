import { endpoints } from '@latchkey/core';
import { day, relative, table } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';

export async function run(_opts: Record<string, never>, io: Io): Promise<void> {
  const links = await io.api.all(endpoints.identities.list);
  io.result(links, () => {
    if (links.length === 0)
      return 'No linked identities. Choose "Sign in with SSO" on the sign-in page (`latch login`) to link one.';
    const c = io.out;
    return table(
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
