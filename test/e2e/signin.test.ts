import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, devSignIn, hiddenFields } from '../../packages/server/test/web/browser.js';
import { latch, spawnLatch, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const alice = tempDir('alice');
const bob = tempDir('bob');

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  alice.remove();
  bob.remove();
});

/** Signs in with the device flow through the real binary, approving in the real web pages. */
async function deviceLogin(configDir: string, email: string) {
  const login = spawnLatch(['login', '--device', '--api-url', server.url], { configDir });
  const code = await waitFor(
    'the device code',
    () => /\b([B-Z]{4}-[B-Z]{4})\b/.exec(login.out.stderr + login.out.stdout)?.[1],
  );
  // The URL may arrive in a later write than the code: wait for it rather than read it at once.
  await waitFor('the verification URL', () =>
    (login.out.stderr + login.out.stdout).includes(`${server.url}/device`),
  );

  const browser = Browser.fetch(server.url);
  const confirm = await devSignIn(browser, email, `/device?user_code=${code}`);
  // The code is prefilled from verification_uri_complete; the user still has to submit and approve.
  let page = confirm;
  for (let hops = 0; page.status >= 300 && page.status < 400 && page.location && hops < 5; hops++) {
    page = await browser.get(page.location);
  }
  if (page.body.includes('action="/device"'))
    page = await browser.submit(page, '/device', { user_code: code });
  expect(page.body).toContain('latch');
  const approve = hiddenFields(page.body, '/device/approve');
  const approved = await browser.post('/device/approve', { ...approve, decision: 'approve' });
  expect(approved.status).toBeLessThan(400);

  const code2 = await login.done;
  expect(code2, login.out.stderr).toBe(0);
  return login.out;
}

describe('signing in and working with orgs through the real latch binary', () => {
  it('device-flow login stores a PAT in a 0600 config inside a 0700 folder', async () => {
    const out = await deviceLogin(alice.path, 'alice@example.com');
    expect(out.stderr + out.stdout).toContain('alice@example.com');
    const file = join(alice.path, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(alice.path).mode & 0o777).toBe(0o700);
    const config = JSON.parse(readFileSync(file, 'utf8'));
    expect(config.token).toMatch(/^lk_pat_/);

    const status = await latch(['auth', 'status', '--json'], { configDir: alice.path });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.stringify(status.json())).toContain('alice@example.com');
    expect(status.stdout).not.toContain(config.token);
  });

  it('creates, uses and shows an org; names match case-insensitively', async () => {
    const created = await latch(['org', 'create', 'Acme'], { configDir: alice.path });
    expect(created.code, created.stderr).toBe(0);
    const use = await latch(['org', 'use', 'ACME'], { configDir: alice.path });
    expect(use.code, use.stderr).toBe(0);
    const current = await latch(['org', 'current', '--json'], { configDir: alice.path });
    expect(current.json()).toMatchObject({ name: 'Acme' });
    const list = await latch(['org', 'list', '--json'], { configDir: alice.path });
    expect(list.json().map((o: { name: string }) => o.name)).toEqual(
      expect.arrayContaining(['alice', 'Acme']),
    );

    const missing = await latch(['org', 'use', 'nope'], { configDir: alice.path });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('latch org list');
  });

  it('invites a second user who accepts and appears among the members', async () => {
    const invite = await latch(['team', 'invite', 'bob@example.com', '--role', 'developer', '--json'], {
      configDir: alice.path,
    });
    expect(invite.code, invite.stderr).toBe(0);

    await deviceLogin(bob.path, 'bob@example.com');
    const invites = await latch(['invites', 'list', '--json'], { configDir: bob.path });
    expect(invites.code, invites.stderr).toBe(0);
    const [inv] = invites.json();
    expect(inv).toMatchObject({ email: 'bob@example.com', role: 'developer', org: { name: 'Acme' } });

    const accept = await latch(['invites', 'accept', inv.id], { configDir: bob.path });
    expect(accept.code, accept.stderr).toBe(0);
    const members = await latch(['team', 'members', '--json'], { configDir: alice.path });
    const emails = members.json().members.map((m: { email: string }) => m.email);
    expect(emails).toEqual(expect.arrayContaining(['alice@example.com', 'bob@example.com']));

    // Bob is a developer: inviting needs members:write.
    const denied = await latch(['team', 'invite', 'carol@example.com', '--org', 'acme'], {
      configDir: bob.path,
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('members:write');
  });

  it('creates, lists and revokes a PAT; a revoked PAT is refused with exit 4', async () => {
    const created = await latch(['pats', 'create', 'deploy script', '--expires', '30d', '--json'], {
      configDir: alice.path,
    });
    expect(created.code, created.stderr).toBe(0);
    const pat = created.json();
    expect(pat.token).toMatch(/^lk_pat_/);

    const viaEnv = await latch(['auth', 'status', '--json'], {
      configDir: bob.path,
      env: { LATCH_TOKEN: pat.token },
    });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.stringify(viaEnv.json())).toContain('alice@example.com');

    const list = await latch(['pats', 'list', '--json'], { configDir: alice.path });
    expect(list.json().map((p: { name: string }) => p.name)).toContain('deploy script');
    expect(list.stdout).not.toContain(pat.token);

    const revoke = await latch(['pats', 'revoke', pat.id, '--yes'], { configDir: alice.path });
    expect(revoke.code, revoke.stderr).toBe(0);
    const after = await latch(['auth', 'status'], { configDir: bob.path, env: { LATCH_TOKEN: pat.token } });
    expect(after.code).toBe(4);
  });

  it('refuses to store a login while LATCH_TOKEN is set', async () => {
    const res = await latch(['login', '--token', 'lk_pat_whatever'], {
      configDir: bob.path,
      env: { LATCH_TOKEN: 'lk_pat_x' },
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('LATCH_TOKEN');
  });

  it('logout revokes the PAT on the server and keeps the API URL and active org', async () => {
    const before = JSON.parse(readFileSync(join(alice.path, 'config.json'), 'utf8'));
    const out = await latch(['logout'], { configDir: alice.path });
    expect(out.code, out.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(alice.path, 'config.json'), 'utf8'));
    expect(after.token).toBeUndefined();
    expect(after.apiUrl).toBe(before.apiUrl);
    expect(after.activeOrg).toEqual(before.activeOrg);

    const res = await fetch(`${server.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${before.token}` },
    });
    expect(res.status).toBe(401);
    const status = await latch(['auth', 'status'], { configDir: alice.path });
    expect(status.code).toBe(4);
  });
});

describe('browser sign-in with a loopback redirect', () => {
  const carol = tempDir('carol');
  afterAll(() => carol.remove());

  it('signs in through the authorize and consent pages and stores a PAT named after the machine', async () => {
    const browserCmd = `${process.execPath} ${join(import.meta.dirname, 'fixtures/browser.mjs')} {url}`;
    const res = await latch(['login', '--api-url', server.url], {
      configDir: carol.path,
      env: { LATCH_BROWSER_CMD: browserCmd, E2E_BROWSER_EMAIL: 'carol@example.com', DISPLAY: ':0' },
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr + res.stdout).toContain('carol@example.com');
    const status = await latch(['auth', 'status', '--json'], { configDir: carol.path });
    expect(status.code, status.stderr).toBe(0);
    const pats = await latch(['pats', 'list', '--json'], { configDir: carol.path });
    const { hostname } = await import('node:os');
    expect(pats.json()[0].name).toBe(hostname());
  });

  it('reports a denied consent clearly and stores nothing', async () => {
    const denied = tempDir('denied');
    const browserCmd = `${process.execPath} ${join(import.meta.dirname, 'fixtures/browser.mjs')} {url}`;
    const res = await latch(['login', '--api-url', server.url], {
      configDir: denied.path,
      env: {
        LATCH_BROWSER_CMD: browserCmd,
        E2E_BROWSER_EMAIL: 'dan@example.com',
        E2E_BROWSER_DECISION: 'deny',
        DISPLAY: ':0',
      },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/denied/i);
    const status = await latch(['auth', 'status'], { configDir: denied.path });
    expect(status.code).toBe(4);
    denied.remove();
  });
});
