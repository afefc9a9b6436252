import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { deviceLogin } from './helpers/device-login.js';
import { type ExampleApp, setUpExampleProject, startExampleApp } from './helpers/example-app.js';
import { stop, tempDir, waitFor } from './helpers/latch.js';
import { checkPage, openPage, SLOW } from './helpers/page-checks.js';
import { type RunningServer, startServer } from './helpers/server.js';

// Issue 14's API-key scenario: create, rotate and revoke a key in the dashboard (real Chromium,
// real `latch dev`), and the example app (examples/tasks-api, the SDK) follows each step.
const EMAIL = 'ada@example.com';
const owner = tempDir('dash-keys-owner');
let server: RunningServer;
let chromium: RealBrowser;
let page: Page;
let complaints: string[];
let app: ExampleApp;

const status = async (key: string) =>
  (await fetch(`${app.url}/v1/projects`, { headers: { authorization: `Bearer ${key}` } })).status;

/** The key shown once in the dashboard, then hidden. */
async function shownOnce(): Promise<string> {
  const token = (await page.getByTestId('shown-once-token').textContent()) ?? '';
  await page.getByRole('button', { name: 'Done, hide it' }).click();
  return token;
}

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, owner.path, EMAIL);
  const appToken = await setUpExampleProject(owner.path, { org: 'Acme' });
  app = await startExampleApp({ apiUrl: server.url, token: appToken, timeoutMs: SLOW });
  chromium = await launchChromium();
  ({ page, complaints } = await openPage(chromium));
}, 240_000);
afterAll(async () => {
  if (app) await stop(app.child);
  await chromium?.close();
  await server?.stop();
  owner.remove();
});

describe('API keys in the dashboard, followed by the example app', { timeout: 180_000 }, () => {
  it('create, rotate with a grace period, revoke: the app serves, then refuses', async () => {
    await page.goto(`${server.url}/login?next=%2F`);
    await page.getByLabel('Dev sign-in: any email, no password').fill(EMAIL);
    await page.getByRole('button', { name: 'Dev sign-in' }).click();
    await page.getByRole('heading', { name: 'Personal access tokens' }).waitFor();

    await page.goto(`${server.url}/#/orgs/Acme/projects/acme/env/production`);
    await page.getByLabel('Key name').fill('Reader');
    // The first declared scope, `read`, is the one picked.
    await page.getByRole('button', { name: 'Create key' }).click();
    const first = await shownOnce();
    expect(first).toMatch(/^acme_/);
    expect(await status(first)).toBe(200);

    await page.getByRole('button', { name: 'Rotate' }).click();
    await page.getByText('Rotate Reader?').waitFor();
    await page.getByRole('button', { name: 'Yes, rotate' }).click();
    const second = await shownOnce();
    expect(second).toMatch(/^acme_/);
    expect(second).not.toBe(first);
    // Within the 24-hour grace both secrets work.
    expect(await status(second)).toBe(200);
    expect(await status(first)).toBe(200);
    await checkPage(page, 'environment-keys');

    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Revoke Reader').waitFor();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByRole('cell', { name: 'revoked' }).waitFor();
    await waitFor('the app to refuse the revoked key', async () => (await status(second)) === 401, SLOW);
    expect(await status(first)).toBe(401);
  });

  it('the audit log shows each step and the chain verifies; the browser raised no complaint', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/audit`);
    for (const action of ['api_key.created', 'api_key.rotated', 'api_key.revoked'])
      await page.getByRole('cell', { name: action, exact: true }).first().waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/^Chain verified: \d+ rows/).waitFor();
    await checkPage(page, 'audit-keys');
    expect(complaints).toEqual([]);
  });
});
