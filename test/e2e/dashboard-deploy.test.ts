import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { devSignIn } from './helpers/dashboard-checks.js';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { checkPage, openPage } from './helpers/page-checks.js';
import { type RunningServer, startServer } from './helpers/server.js';

// Issue 14's "set a secret, deploy, see the pending marker clear": the secret is set in the
// dashboard (real Chromium), released by the real `latch deploy`, and the dashboard follows; then
// its history, a confirmed rollback and unset, the environment matrix, the route table the deploy
// pushed, and each step in the audit log with the chain verified.
const EMAIL = 'ada@example.com';
const FIRST = 'sk_live_dash_first_7Qx';
const SECOND = 'sk_live_dash_second_4Rw';
const home = tempDir('dash-deploy-owner');
const app = tempDir('dash-deploy-app');
const ENV_PAGE = '#/orgs/Acme/projects/shop/env/production';
let server: RunningServer;
let chromium: RealBrowser;
let page: Page;
let complaints: string[];
/** Every API answer of 400 or more the page got: `status path`. */
const failed: string[] = [];

const run = (args: string[]) => latch(args, { configDir: home.path, cwd: app.path });
const secretRow = (name: string) =>
  page.getByRole('region', { name: 'Secrets' }).getByRole('row').filter({ hasText: name });
const activeText = () => page.evaluate(() => document.activeElement?.textContent ?? '');

async function deploy(): Promise<string> {
  const res = await run(['deploy', '--env', 'production', '--yes']);
  expect(res.code, res.stderr).toBe(0);
  return res.stderr;
}

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, home.path, EMAIL);
  for (const args of [
    ['org', 'create', 'Acme', '--use'],
    ['projects', 'create', 'shop'],
    ['link', 'shop'],
    ['env', 'create', 'staging'],
    ['env', 'create', 'production'],
    ['secrets', 'set', 'ONLY_IN_STAGING', 'x', '--env', 'staging'],
  ]) {
    const res = await run(args);
    expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
  }
  // The manifest `latch deploy` pushes with the release: its scope and route show on the page.
  writeFileSync(
    join(app.path, 'latch.config.json'),
    JSON.stringify({
      project: 'shop',
      apiKeys: { scopes: { orders: { grants: { Order: ['read'] } } } },
      routes: [{ prefix: '/v1', auth: 'apiKey:orders', routes: { 'GET /orders': 'listOrders' } }],
    }),
  );
  chromium = await launchChromium();
  ({ page, complaints } = await openPage(chromium));
  page.on('response', (res) => {
    if (res.status() >= 400) failed.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });
  await devSignIn(page, server.url, EMAIL);
}, 240_000);
afterAll(async () => {
  await chromium?.close();
  await server?.stop();
  for (const dir of [home, app]) dir.remove();
});

describe('a secret set in the dashboard, deployed by the CLI', { timeout: 180_000 }, () => {
  it('shows the pending marker until `latch deploy --yes`, then live, with the pushed route table', async () => {
    await page.goto(`${server.url}/${ENV_PAGE}`);
    await page.getByText('No release yet').waitFor();
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('STRIPE_KEY');
    await page.getByLabel('Value').fill(FIRST);
    await page.getByRole('button', { name: 'Set secret' }).click();
    await secretRow('STRIPE_KEY').getByRole('cell', { name: 'differs from the live release' }).waitFor();
    expect(await page.content()).not.toContain(FIRST);
    await checkPage(page, 'secret-pending');

    const out = await deploy();
    expect(out).toContain('+ secret STRIPE_KEY (v1)');
    // The CLI reads the value the dashboard set.
    const got = await run(['secrets', 'get', 'STRIPE_KEY', '--env', 'production']);
    expect(got.stdout).toBe(`${FIRST}\n`);

    await page.reload();
    await secretRow('STRIPE_KEY').getByRole('cell', { name: 'live', exact: true }).waitFor();
    expect(await page.getByText('differs from the live release').count()).toBe(0);
    const releases = page.getByRole('region', { name: 'Releases' });
    await releases.getByText('(current)').waitFor();
    expect(await releases.textContent()).toContain('v1');
    const routes = page.getByRole('region', { name: 'Declared scopes and routes' });
    await routes.getByRole('cell', { name: '/v1/orders' }).waitFor();
    await routes.getByRole('cell', { name: 'apiKey:orders' }).waitFor();
    await routes.getByText('orders', { exact: true }).waitFor();
    await checkPage(page, 'secret-live');
  });

  it('the environment matrix shows which names are missing where', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/projects/shop/matrix`);
    const cells = async (name: string) =>
      page.getByRole('row').filter({ hasText: name }).getByRole('cell').allTextContents();
    await page.getByRole('rowheader', { name: 'ONLY_IN_STAGING' }).waitFor();
    // Columns in the order the environments were listed: staging, production (or the reverse).
    const heads = await page.getByRole('columnheader').allTextContents();
    const staging = heads.indexOf('staging') - 1;
    const production = heads.indexOf('production') - 1;
    expect((await cells('STRIPE_KEY'))[staging]).toBe('missing');
    expect((await cells('STRIPE_KEY'))[production]).toBe('live');
    expect((await cells('ONLY_IN_STAGING'))[staging]).toBe('pending');
    expect((await cells('ONLY_IN_STAGING'))[production]).toBe('missing');
    await checkPage(page, 'matrix-missing');
  });

  it('history, a confirmed rollback (by keyboard, Escape first) and a confirmed unset, then deploy', async () => {
    await page.goto(`${server.url}/${ENV_PAGE}`);
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('STRIPE_KEY');
    await page.getByLabel('Value').fill(SECOND);
    await page.getByRole('button', { name: 'Set secret' }).click();
    await secretRow('STRIPE_KEY').getByRole('cell', { name: 'differs from the live release' }).waitFor();

    await page.getByRole('button', { name: 'History of STRIPE_KEY' }).click();
    const history = page.getByRole('region', { name: 'History of STRIPE_KEY' });
    await history.getByText('in releases v1').waitFor();
    expect(await history.getByRole('listitem').count()).toBe(2);
    await checkPage(page, 'secret-history');

    // By keyboard: the confirmation takes the focus on Cancel; Escape returns it to the button.
    const rollBack = history.getByRole('button', { name: 'Roll back to v1', exact: true });
    await rollBack.focus();
    await page.keyboard.press('Enter');
    await history.getByText('Roll back STRIPE_KEY to v1? Its current value (v2) is replaced').waitFor();
    expect(await activeText()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await rollBack.waitFor();
    expect(await activeText()).toBe('Roll back to v1');
    expect((await run(['secrets', 'get', 'STRIPE_KEY', '--env', 'production'])).stdout).toBe(`${SECOND}\n`);
    await page.keyboard.press('Enter');
    await page.keyboard.press('Shift+Tab');
    expect(await activeText()).toBe('Yes, roll back to v1');
    await page.keyboard.press('Enter');
    await history.getByText('v3 rollback to v1').waitFor();
    expect((await run(['secrets', 'get', 'STRIPE_KEY', '--env', 'production'])).stdout).toBe(`${FIRST}\n`);
    // v3 copies v1's value, but the release pins v1: still a change to deploy.
    await secretRow('STRIPE_KEY').getByRole('cell', { name: 'differs from the live release' }).waitFor();

    await secretRow('STRIPE_KEY').getByRole('button', { name: 'Unset STRIPE_KEY' }).click();
    await secretRow('STRIPE_KEY')
      .getByText('Unset STRIPE_KEY in production? Its value leaves the app at the next deploy')
      .waitFor();
    await secretRow('STRIPE_KEY').getByRole('button', { name: 'Yes, unset STRIPE_KEY' }).click();
    await secretRow('STRIPE_KEY').getByRole('cell', { name: 'unset, still in the live release' }).waitFor();

    // One more from the CLI, so the reloaded list has a row to wait for.
    expect((await run(['secrets', 'set', 'KEEP_ME', 'kept', '--env', 'production'])).code).toBe(0);
    const out = await deploy();
    expect(out).toContain('- secret STRIPE_KEY (was v1)');
    await page.reload();
    await secretRow('KEEP_ME').getByRole('cell', { name: 'live', exact: true }).waitFor();
    expect(await secretRow('STRIPE_KEY').count()).toBe(0);
  });

  it('rolls production back to v1 from the releases list, confirmed; the secret is back and live', async () => {
    await page.reload();
    const releases = page.getByRole('region', { name: 'Releases' });
    const v1 = releases.getByRole('listitem').filter({ hasText: /^v1 / });
    await v1.getByRole('button', { name: 'Roll back to v1', exact: true }).click();
    await v1
      .getByText(
        "Roll back production to v1? A new release with v1's secrets and manifest replaces v2 at once",
      )
      .waitFor();
    expect(await releases.getByRole('listitem').count()).toBe(2);
    await v1.getByRole('button', { name: 'Yes, roll back to v1' }).click();
    await releases.getByRole('listitem').filter({ hasText: /^v3 / }).getByText('(current)').waitFor();
    await secretRow('STRIPE_KEY').getByRole('cell', { name: 'live', exact: true }).waitFor();
    expect((await run(['secrets', 'get', 'STRIPE_KEY', '--env', 'production'])).stdout).toBe(`${FIRST}\n`);
  });

  it('the audit log shows each step, by the dashboard and by the CLI, and the chain verifies', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/audit`);
    for (const action of [
      'secret.set',
      'release.created',
      'secret.rolled_back',
      'secret.unset',
      'release.rolled_back',
    ]) {
      const row = page
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: action, exact: true }) });
      await row.first().waitFor();
      expect(await row.first().textContent(), action).toContain(EMAIL);
    }
    expect(await page.getByRole('cell', { name: 'release.created', exact: true }).count()).toBe(2);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/^Chain verified: \d+ rows, head #\d+\.$/).waitFor();
    await checkPage(page, 'audit-deploy');
    expect(await page.content()).not.toContain(FIRST);
    // The one refusal: the manifest before the first deploy, which the page shows as "none yet"
    // (and Chromium logs as a failed load).
    expect(failed).toEqual(['404 /api/v1/orgs/Acme/projects/shop/environments/production/manifest']);
    expect(complaints.filter((c) => !c.includes('status of 404'))).toEqual([]);
  });
});
