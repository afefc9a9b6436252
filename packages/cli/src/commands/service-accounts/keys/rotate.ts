import { endpoints } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../../lib/command.js';
import { checkGracePeriod } from '../../../lib/flags.js';
import { dateTime } from '../../../lib/format.js';
import type { Io } from '../../../lib/io.js';
import { findOrFail } from '../../../lib/lookup.js';
import { resolveOrg } from '../../../lib/org.js';

export const spec = defineCommand({
  args: {
    account: { syntax: '<account>', description: 'account id or name' },
    keyId: { syntax: '<keyId>', description: 'key id (see `latch service-accounts keys list`)' },
  },
  options: {
    gracePeriod: {
      flags: '--grace-period <duration>',
      description: 'how long the old secret keeps working: 0 to 30d (default 24h)',
    },
  },
});

export async function run(opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const account = opts.account.trim();
  const keyId = opts.keyId.trim();
  const command = 'latch service-accounts keys rotate <account> <key-id>';
  const { gracePeriod, endsAtOnce } = checkGracePeriod(opts.gracePeriod, command);
  const org = await resolveOrg(io);
  if (endsAtOnce) {
    // Check first, then ask: the question names the key, and a missing one is said before it.
    const keys = await io.api.all(endpoints.serviceAccounts.listKeys, {
      params: { org: org.ref, id: account },
    });
    const key = findOrFail(
      keys,
      (k) => k.id === keyId,
      `Service account ${account} has no key ${keyId}.`,
      `Run \`latch service-accounts keys list ${account}\`.`,
    );
    await io.confirm(
      `Rotate key ${key.name} (${key.prefix}…) of ${key.serviceAccount.name} with no grace period? The old secret stops working at once.`,
    );
  }
  const key = await io.api.call(endpoints.serviceAccounts.rotateKey, {
    params: { org: org.ref, id: account, keyId },
    body: gracePeriod === undefined ? {} : { gracePeriod },
  });
  io.result(key, (k) => k.token);
  io.note(
    `${io.err.green('✓')} Rotated key ${io.err.bold(key.name)} (${key.id}) of ${key.serviceAccount.name}; new prefix ${key.prefix}…`,
  );
  io.note(
    key.rotatingUntil
      ? `The old secret keeps working until ${dateTime(key.rotatingUntil)}: update what uses it before then.`
      : 'The old secret no longer works.',
  );
  io.warn('Copy the new key now: it will not be shown again.');
}
