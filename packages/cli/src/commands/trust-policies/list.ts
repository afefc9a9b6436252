import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { day, relative } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';
import { resolveOrg } from '../../lib/org.js';
import { claimsLine, ttlText } from './show.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const org = await resolveOrg(io);
  const policies = await io.api.all(endpoints.trustPolicies.list, { params: { org: org.ref } });
  io.result(policies, () => {
    if (policies.length === 0)
      return `No trust policies in ${org.label}. Create one with \`latch trust-policies create --issuer … --audience … --claim repository=owner/repo --scope deploy:write\`.`;
    const c = io.out;
    return io.table(
      ['NAME', 'ID', 'ISSUER', 'AUDIENCE', 'CLAIMS', 'SCOPES', 'TTL', 'CREATED BY', 'CREATED', 'LAST USED'],
      policies.map((p) => [
        p.name,
        c.dim(p.id),
        p.issuer,
        p.audience,
        claimsLine(p.claims),
        p.scopes.join(','),
        ttlText(p.ttlSeconds),
        p.createdBy ?? c.dim('(deleted user)'),
        day(p.createdAt),
        p.lastUsedAt ? relative(p.lastUsedAt) : 'never',
      ]),
      c.dim,
    );
  });
}
