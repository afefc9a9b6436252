import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createVerifier, type Verifier } from '../../packages/sdk/src/index.js';
import { createTestDatabase } from '../../packages/server/src/store/test-database.js';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { okIn, signedInAtAcmeShop } from './helpers/dashboard-checks.js';
import { tempDir } from './helpers/latch.js';
import { checkPage, tabTo } from './helpers/page-checks.js';
import { freePort, type RunningServer, startServer } from './helpers/server.js';

// Issue 14's live environment logs: the dashboard's logs page in a real Chromium against a real
// `latch dev` process, fed by a real SDK verifier (usage reports) and by API calls (audit
// events), with the server stopped and started again under the open page.
const ENV = '/api/v1/orgs/Acme/projects/shop/environments/production';
const MANIFEST = {
  project: 'shop',
  apiKeys: {
    scopes: { orders: { grants: { Order: ['read'] } }, refunds: { grants: { Refund: ['write'] } } },
  },
  routes: [],
};
const dataDir = tempDir('dash-logs-data').path;
let db: { url: string; drop(): Promise<void> };
let port: number;
let server: RunningServer;
let browser: RealBrowser;
let page: Page;
let complaints: string[];
let verifier: Verifier;
let reader: { id: string; token: string };

const boot = () => startServer({ dataDir, env: { LATCH_DATABASE_URL: db.url, LATCH_PORT: String(port) } });

const ok = (method: string, path: string, body?: unknown) => okIn(page, method, path, body);

/** One use of the Reader key on a route, reported by the SDK as the route layer does. */
async function use(route: string, scope = 'orders') {
  const answer = await verifier.verify(reader.token, { scope, report: false });
  verifier.recordAnswer(answer, route, 2.5);
  await verifier.flushUsage();
  return answer;
}

/** The rows of the events table, newest first. */
const events = {
  all: () => page.getByRole('region', { name: 'Events, newest first' }).locator('tbody tr'),
  withText: (text: string) => events.all().filter({ hasText: text }),
};
const stateIs = (text: string) => page.getByRole('status').filter({ hasText: text }).waitFor();

beforeAll(async () => {
  db = await createTestDatabase(inject('adminUrl'));
  port = await freePort();
  server = await boot();
  browser = await launchChromium();
  ({ page, complaints } = await signedInAtAcmeShop(browser, server.url, 'ada@example.com'));
  await ok('POST', `${ENV}/deploy`, { message: 'first', manifest: MANIFEST });
  reader = (await ok('POST', '/api/v1/orgs/Acme/projects/shop/api-keys', {
    name: 'Reader',
    scope: 'orders',
    environment: 'production',
  })) as { id: string; token: string };
  const sdkKey = (await ok('POST', '/api/v1/orgs/Acme/keys', {
    name: 'shop-api',
    scopes: ['api_keys:read', 'logs:write'],
  })) as { token: string };
  verifier = createVerifier({
    apiUrl: server.url,
    token: sdkKey.token,
    project: 'shop',
    environment: 'production',
    usage: { flushIntervalMs: 100 },
  });
  await verifier.ready();
}, 240_000);
afterAll(async () => {
  await verifier?.close().catch(() => {});
  await browser?.close();
  await server?.stop();
  await db?.drop();
});

describe('dashboard: live environment logs', { timeout: 180_000 }, () => {
  it('opens from the environment page and shows verifications and audit events as they happen', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/projects/shop/env/production`);
    await page.getByRole('link', { name: 'Logs', exact: true }).click();
    await page.getByRole('heading', { name: 'Logs of shop / production' }).waitFor();
    await stateIs('Live');
    // The backlog: what happened before the page opened.
    await events.withText('api_key.created').first().waitFor();
    // Marks this document: a reload would lose it.
    await page.evaluate(() => {
      (window as unknown as { stillHere: boolean }).stillHere = true;
    });

    expect((await use('GET /v1/orders')).valid).toBe(true);
    const verified = events.withText('GET /v1/orders');
    await verified.waitFor();
    expect(await verified.locator('td').allTextContents()).toEqual([
      expect.any(String),
      'verify',
      'Reader',
      'GET /v1/orders',
      'VALID',
      '2.5 ms',
      expect.any(String),
    ]);
    expect((await use('POST /v1/refunds', 'refunds')).code).toBe('INSUFFICIENT_SCOPE');
    const denied = events.withText('POST /v1/refunds');
    await denied.waitFor();
    expect(await denied.locator('td').nth(1).textContent()).toBe('denied');
    expect(await denied.locator('td').nth(4).textContent()).toBe('INSUFFICIENT_SCOPE');

    await ok('PUT', `${ENV}/secrets/STRIPE_KEY`, { value: 'sk_test_logs' });
    const audit = events.withText('secret.set');
    await audit.waitFor();
    expect(await audit.textContent()).toContain('STRIPE_KEY');
    expect(await audit.textContent()).toContain('ada@example.com');
    // Newest first.
    expect(await events.all().first().textContent()).toContain('secret.set');
    expect(await page.content()).not.toContain('sk_test_logs');
    expect(await page.content()).not.toContain(reader.token);
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    // The polite announcement: one count of the rows that came, not the rows themselves.
    await page.getByText(/^\d+ new events?, \d+ received$/).waitFor();
    await checkPage(page, 'logs');
  });

  it('pauses (new events wait on the server) and resumes without losing or repeating any', async () => {
    const before = await events.all().count();
    // By keyboard: Tab to the button, Enter pauses (and Space resumes, below).
    await tabTo(page, '.stream-bar button', 40);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Pause');
    await page.keyboard.press('Enter');
    await stateIs('Paused');
    await ok('PUT', `${ENV}/secrets/PAUSED_ONE`, { value: 'x' });
    await use('GET /v1/while-paused');
    // Longer than the stream's poll (500 ms) and the SDK's flush: nothing may arrive while paused.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await events.withText('PAUSED_ONE').count()).toBe(0);
    expect(await events.withText('GET /v1/while-paused').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Resume');
    await page.keyboard.press('Space');
    await stateIs('Live');
    await events.withText('PAUSED_ONE').waitFor();
    await events.withText('GET /v1/while-paused').waitFor();
    expect(await events.all().count()).toBe(before + 2);
  });

  it('filters by type, key and window; every event it shows matches', async () => {
    await page.getByRole('checkbox', { name: 'verify', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'denied', exact: true }).uncheck();
    await page.getByLabel('Since').selectOption({ label: 'The last hour' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // The window's list: every audit event of the last hour, none of the verifications.
    await events.withText('PAUSED_ONE').waitFor();
    await events.withText('api_key.created').first().waitFor();
    await stateIs('Live');
    await use('GET /v1/filtered-out');
    await ok('PUT', `${ENV}/secrets/FILTERED_IN`, { value: 'x' });
    await events.withText('FILTERED_IN').waitFor();
    const types = await events.all().evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    expect(types).toContain('audit');
    expect(types.filter((t) => t !== 'audit' && t !== 'release')).toEqual([]);

    // Only the Reader key's events (its verifications and its audit events), all types again.
    for (const t of ['verify', 'denied']) await page.getByRole('checkbox', { name: t, exact: true }).check();
    await page.getByLabel('API key').selectOption(reader.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await events.withText('GET /v1/filtered-out').waitFor();
    expect(await events.withText('FILTERED_IN').count()).toBe(0);
    // No type left: nothing to ask for.
    for (const t of ['verify', 'denied', 'rate_limited', 'audit', 'release', 'delivery'])
      await page.getByRole('checkbox', { name: t, exact: true }).uncheck();
    expect(await page.getByRole('button', { name: 'Apply filters' }).isDisabled()).toBe(true);
    await page.getByText('Pick at least one type.').waitFor();
    await checkPage(page, 'logs-filtered');
  });

  it('says it is reconnecting while the server is down and resumes from the last event after a restart', async () => {
    // Afresh, all filters off (the address is the same: only a reload opens it anew).
    await page.reload();
    await stateIs('Live');
    await ok('PUT', `${ENV}/secrets/BEFORE_RESTART`, { value: 'x' });
    await events.withText('BEFORE_RESTART').waitFor();
    const before = await events.all().count();

    const quiet = complaints.length;
    await server.stop();
    await stateIs('reconnecting');
    server = await boot();
    await stateIs('Live');
    // While the server was away Chromium logged each refused reconnection: those, and only those.
    expect(complaints.splice(quiet).filter((c) => !/net::ERR_CONNECTION_REFUSED/.test(c))).toEqual([]);
    await ok('PUT', `${ENV}/secrets/AFTER_RESTART`, { value: 'x' });
    await events.withText('AFTER_RESTART').waitFor();
    // Resumed after its last event: no backlog again, nothing twice.
    expect(await events.all().count()).toBe(before + 1);
    expect(await events.withText('BEFORE_RESTART').count()).toBe(1);
  });

  it('keeps the newest 500 events and says so', async () => {
    const answer = await verifier.verify(reader.token, { scope: 'orders', report: false });
    // One report of 520 distinct routes: 520 events at once.
    for (let i = 0; i < 520; i++) verifier.recordAnswer(answer, `GET /v1/bulk/${i}`, 1);
    await verifier.flushUsage();
    await page.getByText(/^Showing the newest 500 of \d+ events received\.$/).waitFor();
    expect(await events.all().count()).toBe(500);
    // The last of them made it, the oldest rows went.
    await events.withText('GET /v1/bulk/519').waitFor();
    expect(await events.withText('BEFORE_RESTART').count()).toBe(0);
  });

  it("shows the API's error and hint for an environment it cannot read; the browser raised no complaint", async () => {
    await page.goto(`${server.url}/#/orgs/Acme/projects/shop/env/nowhere/logs`);
    const alert = page
      .getByRole('alert')
      .filter({ hasText: 'No environment nowhere in project shop.' })
      .last();
    await alert.waitFor();
    expect(await alert.textContent()).toContain('latch env list --project shop');
    expect(await alert.textContent()).toContain('Error code: NOT_FOUND');
    await stateIs('Stopped');
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    // The failed stream request is the only console line: Chromium logs every 404 it loads.
    expect(complaints.filter((c) => !/404 \(Not Found\)/.test(c))).toEqual([]);
  });
});
