import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../packages/server/src/store/test-database.js';
import { linkIn, type SmtpReceiver, startSmtpReceiver } from '../../packages/server/test/helpers/smtp.js';
import { Browser, hiddenFields } from '../../packages/server/test/web/browser.js';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { latch, spawnLatch, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

const OWNER = 'owner@example.com';
const BOB = 'bob@example.com';
const OWNER_PASSWORD = 'owner passphrase, long';
const BOB_PASSWORD = 'bob picks a long passphrase';
const key = () => randomBytes(32).toString('base64');
/** What `latch server` requires: its master key and the audit checkpoints' signing key. */
const productionKeys = () => ({ LATCH_MASTER_KEY: key(), LATCH_AUDIT_SIGNING_KEY: key() });

/** The first owner of a fresh production server, through its one-time setup link. */
async function setUpOwner(server: RunningServer): Promise<Browser> {
  const setup = await waitFor(
    'the setup link',
    () => /(\/setup\?token=[A-Za-z0-9_-]+)/.exec(server.logs.stderr + server.logs.stdout)?.[1],
  );
  const browser = Browser.fetch(server.url);
  const page = await browser.get(setup);
  const done = await browser.submit(page, '/setup', {
    email: OWNER,
    password: OWNER_PASSWORD,
    confirm: OWNER_PASSWORD,
  });
  expect(done.status, done.body).toBe(200);
  return browser;
}

/** `latch login --device`, approved by whoever `approve` signs in as. */
async function deviceLogin(
  server: RunningServer,
  configDir: string,
  approve: (path: string) => Promise<void>,
) {
  const login = spawnLatch(['login', '--device', '--api-url', server.url], { configDir });
  const code = await waitFor(
    'the device code',
    () => /\b([B-Z]{4}-[B-Z]{4})\b/.exec(login.out.stderr + login.out.stdout)?.[1],
  );
  await approve(`/device?user_code=${code}`);
  expect(await login.done, login.out.stderr).toBe(0);
  return login.out;
}

/** Approves a device code in the minimal HTTP browser (the owner's side of these tests). */
async function approveWith(browser: Browser, path: string) {
  let page = await browser.get(path);
  if (page.body.includes('action="/device"'))
    page = await browser.submit(page, '/device', hiddenFields(page.body, '/device'));
  const approved = await browser.post('/device/approve', {
    ...hiddenFields(page.body, '/device/approve'),
    decision: 'approve',
  });
  expect(approved.status).toBeLessThan(400);
}

describe('an owner on `latch server` invites a second person by email', () => {
  let smtp: SmtpReceiver;
  let server: RunningServer;
  let chromium: RealBrowser;
  const owner = tempDir('owner');
  const bob = tempDir('bob');

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    chromium = await launchChromium();
    server = await startServer({
      command: 'server',
      env: {
        ...productionKeys(),
        LATCH_SMTP_URL: smtp.url,
        LATCH_MAIL_FROM: 'Latchkey <latch@example.com>',
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await chromium?.close();
    await smtp?.close();
    owner.remove();
    bob.remove();
  });

  it('who signs up through the emailed link in a browser, then runs `latch login` and sees the org', async () => {
    const ownerBrowser = await setUpOwner(server);
    await deviceLogin(server, owner.path, (path) => approveWith(ownerBrowser, path));
    const created = await latch(['org', 'create', 'Acme', '--use'], { configDir: owner.path });
    expect(created.code, created.stderr).toBe(0);

    const invited = await latch(['team', 'invite', BOB, '--role', 'developer'], { configDir: owner.path });
    expect(invited.code, invited.stderr).toBe(0);
    expect(invited.stderr).toContain('We emailed them a link');
    expect(invited.stdout).toBe('');
    const pending = await latch(['team', 'invitations', '--json'], { configDir: owner.path });
    expect(pending.json()).toEqual([
      expect.objectContaining({ email: BOB, role: 'developer', status: 'pending' }),
    ]);

    const mail = await smtp.nextMailTo(BOB);
    expect(mail.subject).toBe('Join Acme on Latchkey');
    const link = linkIn(mail, `${server.url}/invite/`);
    const token = link.split('/').pop()!;

    // Bob follows the link in a real browser and creates his account.
    const page = await chromium.newPage();
    await page.goto(link);
    await page.getByLabel('Your name').fill('Bob');
    await page.getByLabel(/^Password/).fill(BOB_PASSWORD);
    await page.getByLabel('Repeat the password').fill(BOB_PASSWORD);
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await page.getByText('Welcome to Acme').waitFor();
    expect(await page.textContent('body')).toContain(`latch login --api-url ${server.url}`);

    // Then plain `latch login`: the browser flow with its loopback redirect, approved in the same
    // Chromium, where he is signed in now. `true` stands in for the command that opens a browser.
    const login = spawnLatch(['login', '--api-url', server.url], {
      configDir: bob.path,
      env: { LATCH_BROWSER_CMD: 'true', DISPLAY: ':0' },
    });
    const authorize = await waitFor(
      'the sign-in URL',
      () => /visit: (\S+)/.exec(login.out.stderr + login.out.stdout)?.[1],
    );
    await page.goto(authorize);
    await page.getByRole('button', { name: 'Approve' }).click();
    expect(await login.done, login.out.stderr).toBe(0);
    expect(login.out.stderr + login.out.stdout).toContain(BOB);
    const orgs = await latch(['org', 'list', '--json'], { configDir: bob.path });
    expect(orgs.code, orgs.stderr).toBe(0);
    expect(orgs.json()).toContainEqual(expect.objectContaining({ name: 'Acme', role: 'developer' }));

    const members = await latch(['team', 'members', '--json', '--org', 'Acme'], { configDir: owner.path });
    expect(members.json().members.map((m: { email: string }) => m.email)).toEqual(
      expect.arrayContaining([OWNER, BOB]),
    );
    const none = await latch(['team', 'invitations', '--json'], { configDir: owner.path });
    expect(none.json()).toEqual([]);

    // The link worked once; opening it again says so.
    await page.goto(link);
    await page.getByText('Invitation already used').waitFor();

    // The request log saw the link's path, redacted; the token itself is nowhere in the output.
    const logs = server.logs.stdout + server.logs.stderr;
    expect(logs).toContain('/invite/lk_inv_[redacted]');
    expect(logs).not.toContain(token);
  });
});

describe('a server without a mail server', () => {
  let server: RunningServer;
  let databaseUrl: string;
  let drop: () => Promise<void>;
  const owner = tempDir('owner-nomail');

  beforeAll(async () => {
    const db = await createTestDatabase(inject('adminUrl'));
    databaseUrl = db.url;
    drop = db.drop;
    server = await startServer({
      command: 'server',
      env: { ...productionKeys(), LATCH_DATABASE_URL: databaseUrl },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await drop?.();
    owner.remove();
  });

  it('`latch team invite` prints the link once, `invitations revoke` ends it, `server reset-password` prints a reset link', async () => {
    const ownerBrowser = await setUpOwner(server);
    await deviceLogin(server, owner.path, (path) => approveWith(ownerBrowser, path));

    const invited = await latch(['team', 'invite', 'carol@example.com', '--role', 'viewer'], {
      configDir: owner.path,
    });
    expect(invited.code, invited.stderr).toBe(0);
    const link = invited.stdout.trim();
    expect(link).toMatch(new RegExp(`^${server.url}/invite/lk_inv_[A-Za-z0-9]{49}$`));
    expect(invited.stderr).toContain('sends no email');
    expect(invited.stderr).toContain('will not be shown again');
    const listed = await latch(['team', 'invitations', '--json'], { configDir: owner.path });
    expect(listed.stdout).not.toContain('lk_inv_');
    const [invitation] = listed.json();

    const visitor = Browser.fetch(server.url);
    expect((await visitor.get(link.slice(server.url.length))).status).toBe(200);
    const revoked = await latch(['team', 'invitations', 'revoke', invitation.id], { configDir: owner.path });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain('no longer works');
    const gone = await visitor.get(link.slice(server.url.length));
    expect(gone.status).toBe(410);
    expect(gone.body).toContain('Invitation revoked');

    const reset = await latch(['server', 'reset-password', OWNER], {
      configDir: owner.path,
      env: { LATCH_DATABASE_URL: databaseUrl, LATCH_PUBLIC_URL: server.url },
    });
    expect(reset.code, reset.stderr).toBe(0);
    const resetLink = reset.stdout.trim();
    expect(resetLink).toMatch(new RegExp(`^${server.url}/reset-password/lk_rst_`));
    const browser = Browser.fetch(server.url);
    const path = resetLink.slice(server.url.length);
    const form = await browser.get(path);
    expect(form.body).toContain(OWNER);
    const done = await browser.submit(form, path, {
      password: 'fresh phrase for the boss',
      confirm: 'fresh phrase for the boss',
    });
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Password changed');

    const unknown = await latch(['server', 'reset-password', 'nobody@example.com'], {
      configDir: owner.path,
      env: { LATCH_DATABASE_URL: databaseUrl },
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No account for nobody@example.com');
  });
});
