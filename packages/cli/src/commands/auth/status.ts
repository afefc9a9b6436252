import { ApiError, endpoints, maskToken } from '@latchkey/core';
import { NotSignedInError } from '../../lib/client.js';
import { defineCommand, type OptionsOf } from '../../lib/command.js';

import { dateTime, keyValues, relative } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({});

const KIND_NAMES: Record<string, string> = {
  pat: 'personal access token',
  platform_key: 'platform key',
  service_account_key: 'service-account key',
  session: 'browser session',
  oidc: 'OIDC token from the sign-in provider',
};

export async function run(_opts: OptionsOf<typeof spec>, io: Io): Promise<void> {
  const { context, config } = io;
  // With --json a script gets an answer on stdout either way (`signedIn: false`), and the exit
  // code (4) and the error on stderr as for any command.
  const signedOut = (reason: string) =>
    io.result(
      { signedIn: false, apiUrl: context.apiUrl, reason, tokenSource: context.tokenSource },
      () => undefined,
    );
  if (!context.token) {
    signedOut(new NotSignedInError(context.apiUrl).code);
    throw new NotSignedInError(context.apiUrl);
  }
  // Validates the token: a 401 becomes exit 4 with the reason, via the one error mapping.
  const me = await io.api.call(endpoints.me.get).catch((err: unknown) => {
    if (err instanceof ApiError && err.httpStatus === 401) signedOut(err.code);
    throw err;
  });
  const source = context.tokenSource === 'env' ? 'LATCH_TOKEN' : config.path;
  const activeOrg = me.org ?? config.data.activeOrg ?? null;
  const status = {
    signedIn: true,
    apiUrl: context.apiUrl,
    user: me.user,
    token: {
      id: me.token.id,
      kind: me.token.kind,
      name: me.token.name,
      masked: maskToken(context.token),
      scopes: me.token.scopes,
      expiresAt: me.token.expiresAt,
      source: context.tokenSource,
    },
    activeOrg,
    orgOverride: context.org ?? null,
  };
  io.result(status, () => {
    const c = io.out;
    const who = me.user ? c.bold(me.user.email) : c.bold(me.token.name);
    const expiry = me.token.expiresAt
      ? `${dateTime(me.token.expiresAt)} (${relative(me.token.expiresAt)})`
      : 'never';
    const rows: [string, string][] = [
      ['API URL', context.apiUrl],
      [
        'Token',
        `${status.token.masked} ${c.dim(`(${KIND_NAMES[me.token.kind] ?? me.token.kind} "${me.token.name}")`)}`,
      ],
      ['Expires', expiry],
      ['Scopes', me.token.scopes?.length ? me.token.scopes.join(', ') : c.dim('all of your permissions')],
      [
        'Active org',
        activeOrg
          ? `${activeOrg.name} ${c.dim(`(${activeOrg.id})`)}`
          : c.dim('none: run `latch org use <name>`'),
      ],
      ['From', source],
    ];
    if (context.org) rows.push(['--org', context.org]);
    return `${c.green('✓')} Signed in as ${who}\n${keyValues(rows, c.dim)}`;
  });
}
