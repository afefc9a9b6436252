import { EXPIRY_BOUNDS, endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../../lib/command.js';

import { checkDuration } from '../../../lib/flags.js';
import type { Io } from '../../../lib/io.js';
import { KEY_EXPIRES_OPTION } from '../../../lib/options.js';
import { resolveOrg } from '../../../lib/org.js';
import { printCreated } from '../../../lib/shown-once.js';

export const spec = defineCommand({
  args: {
    account: { syntax: '<account>', description: 'account id or name' },
  },
  options: {
    name: { flags: '-n, --name <name>', description: "key name (default: the account's name)" },
    expires: KEY_EXPIRES_OPTION,
  },
});

export type CreateAccountKeyOptions = OptionsOf<typeof spec>;

export async function run(opts: CreateAccountKeyOptions, io: Io): Promise<void> {
  const account = opts.account.trim();
  const expiresIn = checkDuration(
    '--expires',
    opts.expires,
    EXPIRY_BOUNDS.key,
    `latch service-accounts keys create ${account || '<account>'} --expires 90d (1h to 365d)`,
  );
  const name = opts.name?.trim();
  const org = await resolveOrg(io);
  const key = await io.api.call(endpoints.serviceAccounts.createKey, {
    params: { org: org.ref, id: account },
    body: { ...(name ? { name } : {}), ...(expiresIn ? { expiresIn } : {}) },
  });
  printCreated(
    io,
    key,
    'key',
    (expires) =>
      `Created key ${io.err.bold(key.name)} (${key.id}) for service account ${key.serviceAccount.name}; ${expires}.`,
  );
}
