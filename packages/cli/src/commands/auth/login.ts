import { hostname } from 'node:os';
import { ApiError, parseToken, TOKEN_PREFIXES } from '@latchkey/core';
import { openBrowser } from '../../lib/auth/browser.js';
import { chooseFlow } from '../../lib/auth/choose.js';
import { deviceSignIn } from '../../lib/auth/device.js';
import { loopbackSignIn } from '../../lib/auth/loopback.js';
import type { TokenGrant } from '../../lib/auth/oauth.js';
import { signedInLine, storeSignIn } from '../../lib/auth/session.js';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { DEFAULT_API_URL } from '../../lib/config.js';
import { CliError, EXIT, usageError } from '../../lib/exit.js';
import { dateTime } from '../../lib/format.js';
import type { Io } from '../../lib/io.js';

export const spec = defineCommand({
  options: {
    device: { flags: '--device', description: 'sign in with a code shown here and approved in any browser' },
    token: {
      flags: '--token <token>',
      description: 'store a token you already have (`-` reads it from stdin)',
    },
    oidcTokenEnv: {
      flags: '--oidc-token-env <var>',
      description:
        "CI: exchange the OIDC token in this variable for a short-lived key via the org's trust policies (needs --org)",
    },
  },
  help: '\nExamples:\n  latch login\n  latch login --device\n  latch login --api-url https://latch.example.com\n  printenv LK | latch login --token -\n  latch login --oidc-token-env ACTIONS_ID_TOKEN --org acme   # in CI, see `latch trust-policies`',
});

export type LoginOptions = OptionsOf<typeof spec>;

export async function run(opts: LoginOptions, io: Io): Promise<void> {
  if (io.env.LATCH_TOKEN) {
    throw usageError(
      'LATCH_TOKEN is set, so a login would not be used and nothing will be stored.',
      'Unset LATCH_TOKEN to sign in with `latch login`.',
    );
  }
  const apiUrl = io.context.apiUrl;
  let token: string;
  if (opts.oidcTokenEnv !== undefined) {
    if (opts.token !== undefined)
      throw usageError('Use either --token or --oidc-token-env, not both.', 'Drop one of them.');
    token = await exchangeOidcToken(opts.oidcTokenEnv, io);
  } else if (opts.token !== undefined) {
    token = checkPastedToken(opts.token === '-' ? await readStdin(io) : opts.token);
  } else {
    const grant = await signIn(opts, io);
    token = grant.access_token;
  }
  const previous = io.config.data;
  const signedIn = await storeSignIn(io, apiUrl, token).catch((err: unknown) => {
    throw opts.token !== undefined ? pastedTokenRefused(err) : err;
  });
  io.result(
    {
      signedIn: true,
      apiUrl,
      user: signedIn.me.user,
      token: { ...signedIn.me.token, masked: signedIn.masked },
      activeOrg: signedIn.activeOrg,
    },
    () => undefined,
  );
  io.note(signedInLine(io, signedIn));
  if (signedIn.activeOrg) io.note(`Active org: ${signedIn.activeOrg.name}`);
  // The replaced token is not revoked: it may have been pasted with --token and be in use elsewhere.
  if (
    previous.token &&
    previous.token !== token &&
    (previous.apiUrl ?? DEFAULT_API_URL) === apiUrl &&
    previous.tokenId &&
    previous.tokenId !== signedIn.me.token.id
  ) {
    io.note(
      io.err.dim(
        `The previous login's token (${previous.tokenId}) still works; revoke it with \`latch pats revoke ${previous.tokenId}\` if nothing else uses it.`,
      ),
    );
  }
}

async function signIn(opts: LoginOptions, io: Io): Promise<TokenGrant> {
  const deviceName = hostname();
  // A long wait follows: Ctrl-C is a cancellation (exit 2), not a crash.
  const onSigint = () => {
    io.note('\nCancelled; nothing was stored.');
    io.exit(EXIT.usage);
  };
  const stopListening = io.onSignal('SIGINT', onSigint);
  try {
    if (chooseFlow(opts, io.env) === 'device') {
      return await deviceSignIn({
        api: io.api,
        deviceName,
        note: io.note,
        highlight: (s) => io.err.bold(io.err.cyan(s)),
        spinner: io.spinner,
      });
    }
    return await loopbackSignIn({
      api: io.api,
      deviceName,
      note: io.note,
      open: (url) => openBrowser(url, io.env),
    });
  } finally {
    stopListening();
  }
}

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/**
 * CI without a long-lived secret: the job's own OIDC token (read from an environment variable,
 * never from argv, where other processes could see it) is exchanged (RFC 8693) for a platform
 * key that lives at most an hour. It is stored like any login, in the job's own config folder,
 * so the job's next `latch` commands use it; it expires by itself.
 */
async function exchangeOidcToken(variable: string, io: Io): Promise<string> {
  const jwt = io.env[variable]?.trim();
  if (!jwt) {
    throw usageError(
      `${variable} is empty or not set.`,
      'In GitHub Actions, give the job `permissions: id-token: write` and put the token from core.getIDToken("<audience>") into that variable.',
    );
  }
  const org = io.context.org;
  if (!org) {
    throw usageError(
      '--oidc-token-env needs --org: the org whose trust policies accept the token.',
      `Example: latch login --oidc-token-env ${variable} --org acme`,
    );
  }
  const answer = await io.api.oauth.token({
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: jwt,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    org,
  });
  if (!answer.ok) {
    throw new CliError(
      `The server refused to exchange the token in ${variable}: ${answer.description ?? answer.error}`,
      {
        exitCode: answer.error === 'invalid_request' ? EXIT.usage : EXIT.auth,
        code: answer.error.toUpperCase(),
        hint:
          answer.hint ??
          "Check the org's trust policies (`latch trust-policies list`, `latch trust-policies test --token <jwt>`).",
      },
    );
  }
  return answer.grant.access_token;
}

/** Rejects typos and truncated pastes locally (checksum), before the token goes anywhere. */
function checkPastedToken(raw: string): string {
  const token = raw.trim();
  if (!token) throw usageError('--token was empty.', 'Pass the token, or `--token -` to read it from stdin.');
  const parsed = parseToken(token);
  if (!parsed) {
    throw usageError(
      'That is not a valid Latchkey token: its format or checksum is wrong (a typo or a truncated paste?).',
      'Copy the whole token again, or run `latch login` without --token to sign in in the browser.',
    );
  }
  const known: string[] = Object.values(TOKEN_PREFIXES);
  if (!known.includes(parsed.prefix)) {
    throw usageError(
      `Tokens starting with ${parsed.prefix} are app API keys; latch needs a personal access token (lk_pat_…), a platform key (lk_key_…) or a service-account key (lk_sa_…).`,
      'Create one with `latch pats create` or in the dashboard.',
    );
  }
  return token;
}

/**
 * A pasted token the server refuses: the generic 401 advice ("run `latch login`") would send the
 * user back to the command they just ran, so say how to get a token that works instead.
 */
function pastedTokenRefused(err: unknown): unknown {
  if (!(err instanceof ApiError) || err.httpStatus !== 401) return err;
  const expiresAt = (err.details as { expiresAt?: unknown } | null | undefined)?.expiresAt;
  const message =
    err.code === 'TOKEN_EXPIRED'
      ? `That token has expired${typeof expiresAt === 'string' ? ` (on ${dateTime(expiresAt)})` : ''}; nothing was stored.`
      : `The server refused that token (${err.message.replace(/\.$/, '')}); nothing was stored.`;
  return new CliError(message, {
    exitCode: EXIT.auth,
    code: err.code,
    hint: 'Create a new one (`latch pats create`, or `latch keys create` for automation) and pass that, or run `latch login` without --token to sign in in the browser.',
  });
}

async function readStdin(io: Io): Promise<string> {
  if (io.stdin.isTTY) {
    throw new CliError('`--token -` reads the token from stdin, but stdin is a terminal.', {
      exitCode: EXIT.usage,
      hint: 'Pipe it in: `printenv MY_TOKEN | latch login --token -`.',
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
