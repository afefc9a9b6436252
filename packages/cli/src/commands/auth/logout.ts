import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { DEFAULT_API_URL, withoutAuth } from '../../lib/config.js';
import { CliError, usageError } from '../../lib/exit.js';
import { NetworkError } from '../../lib/http.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({});

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  // Like login: with LATCH_TOKEN set, the stored login is not what latch uses, so signing it out
  // here would look like it ended the session that is in use. Do nothing and say so.
  if (io.env.LATCH_TOKEN) {
    throw usageError(
      'LATCH_TOKEN is set, and latch uses it instead of the stored login; logout cannot revoke or unset it, so nothing was changed.',
      'Unset LATCH_TOKEN to stop using it (revoke it with `latch keys revoke` or `latch pats revoke`); to sign out the stored login, run `env -u LATCH_TOKEN latch logout`.',
    );
  }
  const stored = io.config.data;
  if (!stored.token) {
    io.result({ signedOut: false, reason: 'not signed in' }, () => undefined);
    io.note('You are not signed in; nothing to do.');
    return;
  }
  // Revoke at the server the token was issued by, whatever --api-url says.
  const apiUrl = stored.apiUrl ?? DEFAULT_API_URL;
  let revokeError: unknown;
  try {
    await io.apiFor(apiUrl, undefined).oauth.revoke(stored.token);
  } catch (err) {
    revokeError = err;
  }
  // Forget the token locally in every case: the user asked to be signed out of this machine.
  io.config.replace(withoutAuth(stored));
  const who = stored.user?.email ?? 'your token';
  if (revokeError) {
    const why =
      revokeError instanceof NetworkError ? `cannot reach ${apiUrl}` : (revokeError as Error).message;
    const id = stored.tokenId ? ` (${stored.tokenId})` : '';
    throw new CliError(`Signed out locally, but the token${id} could not be revoked on the server: ${why}.`, {
      hint: stored.tokenId
        ? `It stays valid until it expires. Revoke it with \`latch pats revoke ${stored.tokenId}\` once signed in, or in the dashboard.`
        : 'It stays valid until it expires. Revoke it from the dashboard.',
      code: 'REVOKE_FAILED',
    });
  }
  io.result({ signedOut: true, user: stored.user ?? null, apiUrl }, () => undefined);
  io.note(`${io.err.green('✓')} Signed out ${who === 'your token' ? '' : `${who} `}and revoked the token.`);
}
