import { EXPIRY_BOUNDS, endpoints } from '@latchkey/core';
import { checkDuration } from '../../../lib/flags.js';
import { dateTime } from '../../../lib/format.js';
import type { Io } from '../../../lib/io.js';
import { resolveOrg } from '../../../lib/org.js';

export type CreateAccountKeyOptions = { account: string; name?: string; expires?: string };

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
  io.result(key, (k) => k.token);
  const expires = key.expiresAt ? `expires ${dateTime(key.expiresAt)}` : 'does not expire';
  io.note(
    `${io.err.green('✓')} Created key ${io.err.bold(key.name)} (${key.id}) for service account ${key.serviceAccount.name}; ${expires}.`,
  );
  io.warn('Copy the key now: it will not be shown again.');
}
