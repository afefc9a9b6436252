import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from '../client.js';
import { CliError } from '../exit.js';
import type { TokenGrant } from './oauth.js';
import { createPkce, createState } from './pkce.js';

export const SIGN_IN_TIMEOUT_MS = 5 * 60_000;

export type LoopbackOptions = {
  api: Api;
  deviceName: string;
  /** Opens the URL in a browser; false when that failed (the URL is printed either way). */
  /** true, or why no browser opened (false: no reason known). */
  open: (url: string) => Promise<boolean | string>;
  note: (text: string) => void;
  timeoutMs?: number;
};

type Callback = { code: string; res: ServerResponse };

/**
 * RFC 8252 loopback flow: a one-shot HTTP server on 127.0.0.1 receives the authorization code,
 * PKCE (S256) ties the code to this process, and `state` ties the redirect to this attempt.
 */
export async function loopbackSignIn(opts: LoopbackOptions): Promise<TokenGrant> {
  const pkce = createPkce();
  const state = createState();
  let settle!: { resolve: (cb: Callback) => void; reject: (err: Error) => void };
  const callback = new Promise<Callback>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A callback (or the timeout) may reject before anything awaits the promise; mark it handled
  // so Node does not treat that as an unhandled rejection. `await callback` still sees it.
  callback.catch(() => {});
  const server = createServer((req, res) => onRequest(req, res, state, settle));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const url = new URL(`${opts.api.apiUrl}/oauth/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'latch-cli',
    redirect_uri: redirectUri,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state,
    device_name: opts.deviceName,
  }).toString();

  const timeoutMs = opts.timeoutMs ?? SIGN_IN_TIMEOUT_MS;
  const timer = setTimeout(() => {
    settle.reject(
      new CliError(`No sign-in arrived from the browser within ${Math.round(timeoutMs / 60_000)} minutes.`, {
        hint: 'Run `latch login` again, or `latch login --device` to sign in with a code.',
        code: 'SIGN_IN_TIMEOUT',
      }),
    );
  }, timeoutMs);
  try {
    opts.note('Opening your browser to sign in…');
    opts.note(`If the browser does not open, visit: ${url}`);
    const opened = await opts.open(url.toString());
    if (opened !== true) {
      opts.note(
        `(${typeof opened === 'string' ? opened : 'Could not start a browser'}; open the link above yourself.)`,
      );
    }
    const { code, res } = await callback;
    const answer = await opts.api.oauth
      .token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: pkce.verifier,
      })
      .catch((err: unknown) => {
        page(res, 502, 'Sign-in failed', 'latch could not finish signing in. Check the terminal.');
        throw err;
      });
    if (!answer.ok) {
      page(res, 400, 'Sign-in failed', 'The server refused the sign-in code. Check the terminal.');
      throw new CliError(`The server refused the sign-in code (${answer.description ?? answer.error}).`, {
        hint: 'Run `latch login` again.',
        code: 'SIGN_IN_FAILED',
      });
    }
    page(res, 200, 'Signed in', 'Signed in, you can close this tab and return to the terminal.');
    return answer.grant;
  } finally {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections();
  }
}

function onRequest(
  req: IncomingMessage,
  res: ServerResponse,
  state: string,
  settle: { resolve: (cb: Callback) => void; reject: (err: Error) => void },
): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method !== 'GET' || url.pathname !== '/callback') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    return;
  }
  const q = url.searchParams;
  if (q.get('state') !== state) {
    page(res, 400, 'Sign-in failed', 'This sign-in response does not belong to the running `latch login`.');
    settle.reject(
      new CliError('The browser sent back a sign-in response for another login attempt (state mismatch).', {
        hint: 'Nothing was stored. Run `latch login` again and use only the link it prints.',
        code: 'STATE_MISMATCH',
      }),
    );
    return;
  }
  const error = q.get('error');
  if (error) {
    page(res, 400, 'Sign-in cancelled', 'Sign-in did not complete. You can close this tab.');
    const denied = error === 'access_denied';
    const detail = q.get('error_description') ?? error;
    settle.reject(
      new CliError(
        denied ? 'Sign-in was denied in the browser.' : `Sign-in failed in the browser (${detail}).`,
        {
          hint: 'Run `latch login` again to retry.',
          code: denied ? 'ACCESS_DENIED' : 'SIGN_IN_FAILED',
        },
      ),
    );
    return;
  }
  const code = q.get('code');
  if (!code) {
    page(res, 400, 'Sign-in failed', 'The sign-in response had no code.');
    settle.reject(
      new CliError('The browser sent back no sign-in code.', { hint: 'Run `latch login` again.' }),
    );
    return;
  }
  settle.resolve({ code, res });
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  if (res.headersSent) return;
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${title} · Latchkey</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style>
</head><body><h1>${title}</h1><p>${text}</p></body></html>`;
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(html);
}
