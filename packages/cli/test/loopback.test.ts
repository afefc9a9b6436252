import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { browserCommand, openBrowser } from '../src/lib/auth/browser.js';
import { chooseFlow } from '../src/lib/auth/choose.js';
import { loopbackSignIn } from '../src/lib/auth/loopback.js';
import { createApi } from '../src/lib/client.js';
import { CliError } from '../src/lib/exit.js';
import { useFakeApi } from './helpers.js';

const fake = useFakeApi();

/** A fake authorization server that checks PKCE like the real one must. */
async function fakeAuthServer() {
  const challenges = new Map<string, string>();
  const api = await fake((req) => {
    if (req.path !== '/oauth/token') return { status: 404, body: {} };
    const f = req.form!;
    const expected = challenges.get(f.get('code') ?? '');
    const actual = createHash('sha256')
      .update(f.get('code_verifier') ?? '')
      .digest('base64url');
    if (!expected || expected !== actual) return { status: 400, body: { error: 'invalid_grant' } };
    return { body: { access_token: 'lk_pat_from_code', token_type: 'Bearer', expires_in: 100 } };
  });
  return { ...api, challenges };
}

/** Plays the browser: reads the authorize URL, then calls the loopback redirect. */
function browser(tweak: (p: URLSearchParams, authorize: URL) => void, pages: string[] = []) {
  return async (url: string) => {
    const authorize = new URL(url);
    const redirect = new URL(authorize.searchParams.get('redirect_uri')!);
    const p = new URLSearchParams({ state: authorize.searchParams.get('state')!, code: 'code-1' });
    tweak(p, authorize);
    redirect.search = p.toString();
    // Not awaited by the flow: the browser request completes once the CLI has answered it.
    void fetch(redirect).then(async (r) => pages.push(`${r.status} ${await r.text()}`));
    return true;
  };
}

describe('loopback (browser) flow', () => {
  it('sends PKCE S256 and state, exchanges the code, and thanks the browser', async () => {
    const auth = await fakeAuthServer();
    const pages: string[] = [];
    let authorize: URL | undefined;
    const grant = await loopbackSignIn({
      api: createApi({ apiUrl: auth.url }),
      deviceName: 'laptop',
      note: () => {},
      open: browser((_p, a) => {
        authorize = a;
        auth.challenges.set('code-1', a.searchParams.get('code_challenge')!);
      }, pages),
    });
    expect(grant.access_token).toBe('lk_pat_from_code');
    const q = authorize!.searchParams;
    expect(authorize!.pathname).toBe('/oauth/authorize');
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe('latch-cli');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('device_name')).toBe('laptop');
    expect(q.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(q.get('state')!.length).toBeGreaterThanOrEqual(16);
    const token = auth.seen.find((s) => s.path === '/oauth/token')!.form!;
    expect(token.get('grant_type')).toBe('authorization_code');
    expect(token.get('redirect_uri')).toBe(q.get('redirect_uri'));
    expect(token.get('code_verifier')!.length).toBeGreaterThanOrEqual(43);
    await expect.poll(() => pages[0]).toMatch(/^200 .*Signed in, you can close this tab/s);
  });

  it('refuses a callback whose state does not match, and exchanges nothing', async () => {
    const auth = await fakeAuthServer();
    const pages: string[] = [];
    const err = await loopbackSignIn({
      api: createApi({ apiUrl: auth.url }),
      deviceName: 'laptop',
      note: () => {},
      open: browser((p) => p.set('state', 'forged'), pages),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe('STATE_MISMATCH');
    expect((err as CliError).message).toContain('state mismatch');
    expect(auth.seen).toHaveLength(0);
    await expect.poll(() => pages[0]).toMatch(/^400 /);
  });

  it('an access_denied redirect says the sign-in was denied', async () => {
    const auth = await fakeAuthServer();
    const err = await loopbackSignIn({
      api: createApi({ apiUrl: auth.url }),
      deviceName: 'laptop',
      note: () => {},
      open: browser((p) => {
        p.delete('code');
        p.set('error', 'access_denied');
      }),
    }).catch((e: unknown) => e);
    expect((err as CliError).message).toBe('Sign-in was denied in the browser.');
  });

  it('times out with a hint when no browser comes back', async () => {
    const err = await loopbackSignIn({
      api: createApi({ apiUrl: 'http://127.0.0.1:9' }),
      deviceName: 'laptop',
      note: () => {},
      open: async () => false,
      timeoutMs: 50,
    }).catch((e: unknown) => e);
    expect((err as CliError).code).toBe('SIGN_IN_TIMEOUT');
    expect((err as CliError).hint).toContain('latch login --device');
  });

  it('prints the URL in case the browser does not open', async () => {
    const notes: string[] = [];
    await loopbackSignIn({
      api: createApi({ apiUrl: 'http://127.0.0.1:9' }),
      deviceName: 'laptop',
      note: (s) => notes.push(s),
      open: async () => false,
      timeoutMs: 20,
    }).catch(() => {});
    expect(notes.join('\n')).toMatch(
      /If the browser does not open, visit: http:\/\/127\.0\.0\.1:9\/oauth\/authorize\?/,
    );
  });
});

describe('LATCH_BROWSER_CMD that fails', () => {
  it('says why no browser opened, and the sign-in goes on with the printed URL', async () => {
    const env = (cmd: string) => ({ LATCH_BROWSER_CMD: cmd });
    expect(await openBrowser('http://x/', env('false {url}'))).toBe(
      'LATCH_BROWSER_CMD (`false`) failed with exit code 1',
    );
    expect(await openBrowser('http://x/', env('latch-no-such-browser {url}'))).toBe(
      'LATCH_BROWSER_CMD could not start `latch-no-such-browser` (ENOENT)',
    );
    expect(await openBrowser('http://x/', env('true {url}'))).toBe(true);
    // Still running when the wait is over: a browser that opened.
    expect(await openBrowser('http://x/', env(`${process.execPath} -e setTimeout(()=>{},2000)`), 50)).toBe(
      true,
    );

    const notes: string[] = [];
    await loopbackSignIn({
      api: createApi({ apiUrl: 'http://127.0.0.1:9' }),
      deviceName: 'laptop',
      note: (s) => notes.push(s),
      open: (url) => openBrowser(url, env('false {url}')),
      timeoutMs: 50,
    }).catch(() => {});
    expect(notes.join('\n')).toContain(
      '(LATCH_BROWSER_CMD (`false`) failed with exit code 1; open the link above yourself.)',
    );
  });
});

describe('choosing the sign-in flow', () => {
  it('uses the device flow over SSH, in CI, on Linux without a display, or with --device', () => {
    expect(chooseFlow({}, { SSH_CONNECTION: '1 2 3 4' }, 'darwin')).toBe('device');
    expect(chooseFlow({}, { CI: 'true', DISPLAY: ':0' }, 'linux')).toBe('device');
    expect(chooseFlow({}, {}, 'linux')).toBe('device');
    expect(chooseFlow({ device: true }, { DISPLAY: ':0' }, 'linux')).toBe('device');
    expect(chooseFlow({}, { WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe('browser');
    expect(chooseFlow({}, {}, 'darwin')).toBe('browser');
  });

  it('LATCH_BROWSER_CMD means a browser is available, unless --device', () => {
    expect(chooseFlow({}, { LATCH_BROWSER_CMD: 'firefox', SSH_TTY: '/dev/pts/1' }, 'linux')).toBe('browser');
    expect(chooseFlow({ device: true }, { LATCH_BROWSER_CMD: 'firefox' }, 'linux')).toBe('device');
  });

  it('LATCH_BROWSER_CMD: {url} is replaced, else the URL is the last argument; no shell', () => {
    const url = 'http://x/?a=1&b=$(rm -rf ~)';
    expect(browserCommand('firefox --new-tab {url}', url)).toEqual(['firefox', ['--new-tab', url]]);
    expect(browserCommand('  chromium   --headless ', url)).toEqual(['chromium', ['--headless', url]]);
    expect(browserCommand('   ', url)).toBeNull();
  });
});
