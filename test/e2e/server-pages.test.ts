import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkIn, type SmtpReceiver, startSmtpReceiver } from '../../packages/server/test/helpers/smtp.js';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { latch, spawnLatch, tempDir, waitFor } from './helpers/latch.js';
import { checkPage, collectComplaints, SLOW, tabTo } from './helpers/page-checks.js';
import { type RunningServer, startServer } from './helpers/server.js';

// The server-rendered pages (setup, sign-in, device approval, CLI consent, invitation, password
// reset) in real Chromium against a real `latch server`: the dashboard's stylesheet, a CSP the
// browser accepts without a word, axe clean, 375 px wide, and usable with the keyboard alone.
const OWNER = 'owner@example.com';
const OWNER_PASSWORD = 'owner passphrase, long';
const BOB = 'bob@example.com';
const key = () => randomBytes(32).toString('base64');

let smtp: SmtpReceiver;
let server: RunningServer;
let chromium: RealBrowser;
let page: Page;
let complaints: string[];
const owner = tempDir('pages-owner');
const other = tempDir('pages-other');

/** Types into the field `selector`, reached with Tab. */
async function typeInto(selector: string, text: string) {
  await tabTo(page, selector);
  await page.keyboard.type(text);
}

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  chromium = await launchChromium();
  server = await startServer({
    command: 'server',
    env: {
      LATCH_MASTER_KEY: key(),
      LATCH_AUDIT_SIGNING_KEY: key(),
      LATCH_SMTP_URL: smtp.url,
      LATCH_MAIL_FROM: 'Latchkey <latch@example.com>',
    },
  });
  page = await chromium.newPage();
  page.setDefaultTimeout(SLOW);
  await page.setViewportSize({ width: 1200, height: 900 });
  complaints = collectComplaints(page);
}, 180_000);
afterAll(async () => {
  await chromium?.close();
  await server?.stop();
  await smtp?.close();
  owner.remove();
  other.remove();
});

describe('the server-rendered pages in a real browser', { timeout: 180_000 }, () => {
  it('first-owner setup: the dashboard look, a CSP with no complaint, filled in by keyboard', async () => {
    const setup = await waitFor(
      'the setup link',
      () => /(\/setup\?token=[A-Za-z0-9_-]+)/.exec(server.logs.stderr + server.logs.stdout)?.[1],
      SLOW,
    );
    const answer = await page.goto(server.url + setup);
    const csp = answer!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|\[::1\]/);
    await page.getByRole('heading', { name: 'Create the first owner' }).waitFor();
    // The dashboard's stylesheet applies: the header bar and the card come from it.
    const sheet = await page.evaluate(
      () => document.querySelector<HTMLLinkElement>('link[rel=stylesheet]')?.href,
    );
    expect(sheet).toMatch(/\/assets\/index-[\w-]+\.css$/);
    expect(
      await page.evaluate(() => getComputedStyle(document.querySelector('main section')!).borderRadius),
    ).toBe('10px');
    await checkPage(page, 'setup');
    await typeInto('#email', OWNER);
    await typeInto('#password', OWNER_PASSWORD);
    await typeInto('#confirm', OWNER_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Setup complete' }).waitFor();
    await checkPage(page, 'setup-done');
  });

  it('device approval: `latch login --device` finishes after the code is entered and approved', async () => {
    const login = spawnLatch(['login', '--device', '--api-url', server.url], { configDir: owner.path });
    const code = await waitFor(
      'the device code',
      () => /\b([B-Z]{4}-[B-Z]{4})\b/.exec(login.out.stderr + login.out.stdout)?.[1],
      SLOW,
    );
    await page.goto(`${server.url}/device`);
    await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
    await checkPage(page, 'device-code');
    await typeInto('#user_code', code);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Approve this device?' }).waitFor();
    expect(await page.locator('.code').textContent()).toBe(code);
    await checkPage(page, 'device-approve');
    await tabTo(page, 'button[value=approve]');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Device approved' }).waitFor();
    await checkPage(page, 'device-approved');
    expect(await login.done, login.out.stderr).toBe(0);
  });

  it('CLI consent: the approval redirects to the loopback listener, which form-action allows', async () => {
    const login = spawnLatch(['login', '--api-url', server.url], {
      configDir: other.path,
      env: { LATCH_BROWSER_CMD: 'true', DISPLAY: ':0' },
    });
    const authorize = await waitFor(
      'the sign-in URL',
      () => /visit: (\S+)/.exec(login.out.stderr + login.out.stdout)?.[1],
      SLOW,
    );
    await page.goto(authorize);
    await page.getByRole('heading', { name: /^Sign in to / }).waitFor();
    await checkPage(page, 'consent');
    await tabTo(page, 'button[value=approve]');
    await Promise.all([
      page.waitForURL((url) => url.hostname === '127.0.0.1' && url.pathname === '/callback'),
      page.keyboard.press('Enter'),
    ]);
    expect(await login.done, login.out.stderr).toBe(0);
  });

  it('invitation: the emailed link signs a new person up', async () => {
    const created = await latch(['org', 'create', 'Acme', '--use'], { configDir: owner.path });
    expect(created.code, created.stderr).toBe(0);
    const invited = await latch(['team', 'invite', BOB], { configDir: owner.path });
    expect(invited.code, invited.stderr).toBe(0);
    const link = linkIn(await smtp.nextMailTo(BOB, SLOW), `${server.url}/invite/`);
    await page.context().clearCookies();
    await page.goto(link);
    await page.getByRole('heading', { name: 'Join Acme' }).waitFor();
    await checkPage(page, 'invitation');
    await typeInto('#name', 'Bob');
    await typeInto('#password', 'bob picks a long passphrase');
    await typeInto('#confirm', 'bob picks a long passphrase');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Welcome to Acme' }).waitFor();
    await checkPage(page, 'invitation-welcome');
  });

  it('sign-in and password reset by emailed link, by keyboard', async () => {
    await page.context().clearCookies();
    await page.goto(`${server.url}/login`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await checkPage(page, 'sign-in');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await checkPage(page, 'reset-request');
    await typeInto('#email', BOB);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await checkPage(page, 'reset-sent');
    const link = linkIn(await smtp.nextMailTo(BOB, SLOW), `${server.url}/reset-password/`);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await checkPage(page, 'reset-choose');
    await typeInto('#password', 'a brand new long passphrase');
    await typeInto('#confirm', 'a brand new long passphrase');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await checkPage(page, 'reset-done');

    await page.context().clearCookies();
    await page.goto(`${server.url}/login`);
    await typeInto('#email', BOB);
    await typeInto('#password', 'a brand new long passphrase');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Signed in' }).waitFor();
    expect(await page.textContent('main')).toContain(BOB);
    await checkPage(page, 'signed-in');
  });

  it('no page drew a complaint from the browser; an error page has the same look', async () => {
    expect(complaints).toEqual([]);
    // (Its own 404 status is the one console line it may draw.)
    await page.goto(`${server.url}/setup?token=not-a-real-token`);
    await page.getByText('This setup link is invalid, expired or already used.').waitFor();
    await checkPage(page, 'error-page');
  });
});
