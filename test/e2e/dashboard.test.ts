import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { latch, tempDir } from './helpers/latch.js';
import { checkPage } from './helpers/page-checks.js';
import { type RunningServer, startServer } from './helpers/server.js';

// The dashboard in a real Chromium against the real `latch dev` process: one browser for the file.
let server: RunningServer;
let browser: RealBrowser;
let page: Page;
let pat = '';
const home = tempDir('dashboard-cli');
/** Content-Security-Policy reports from the browser: must stay empty. */
const cspViolations: string[] = [];

const MANIFEST = {
  project: 'shop',
  apiKeys: { scopes: { orders: { grants: { Order: ['read'] } } } },
  routes: [],
};

async function asPat(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${pat}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Opens a dashboard route, waits for `text`, and checks it with axe and at 375 px wide. */
async function visit(route: string, text: string, shot: string) {
  await page.goto(`${server.url}/#/${route}`);
  await page.getByText(text, { exact: false }).first().waitFor();
  await checkPage(page, shot);
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
  page = await browser.newPage();
  await page.setViewportSize({ width: 1200, height: 900 });
  // Reports from the dashboard's own page (the sign-in page's CSP is the server pages' business).
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text()) && new URL(page.url()).pathname === '/')
      cspViolations.push(msg.text());
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  home.remove();
});

describe('the dashboard in a real browser', () => {
  it('sends a visitor to sign in, then answers the app: strict CSP, no inline script, no-store', async () => {
    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Dev sign-in: any email, no password').fill('ada@example.com');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/' && r.status() === 200),
      page.getByRole('button', { name: 'Dev sign-in' }).click(),
    ]);
    const headers = answer.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(headers['cache-control']).toBe('no-store');
    await page.getByRole('heading', { name: 'Personal access tokens' }).waitFor();
    const inline = await page.evaluate(
      () => [...document.querySelectorAll('script')].filter((s) => !s.src || s.textContent?.trim()).length,
    );
    expect(inline).toBe(0);
    const asset = await page.evaluate(() => document.querySelector<HTMLScriptElement>('script[src]')!.src);
    const res = await fetch(asset);
    expect(res.headers.get('cache-control')).toMatch(/immutable/);
    await page.getByText('ada@example.com').waitFor();
  });

  it('creates a PAT, shows it once with a warning, and the CLI can use it', async () => {
    await page.getByLabel('Name').fill('laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByTestId('shown-once-token');
    pat = (await shown.textContent()) ?? '';
    expect(pat).toMatch(/^lk_pat_/);
    await page.getByText('it is shown only this once').waitFor();
    await page.getByRole('button', { name: 'Done, hide it' }).click();
    await page.getByRole('cell', { name: 'laptop' }).waitFor();
    expect(await page.content()).not.toContain(pat);
    await page.reload();
    await page.getByRole('cell', { name: 'laptop' }).waitFor();
    expect(await page.content()).not.toContain(pat);

    const created = await latch(['org', 'create', 'Acme', '--json'], {
      configDir: home.path,
      env: { LATCH_TOKEN: pat, LATCH_API_URL: server.url },
    });
    expect(created.code, created.stderr).toBe(0);
    expect(created.json().name).toBe('Acme');
  });

  it('creates and revokes an API key for a declared scope; the verification API follows', async () => {
    expect((await asPat('POST', '/api/v1/orgs/Acme/projects', { name: 'shop' })).status).toBe(201);
    for (const env of ['staging', 'production'])
      expect(
        (await asPat('POST', '/api/v1/orgs/Acme/projects/shop/environments', { name: env })).status,
      ).toBe(201);
    const pushed = await asPat(
      'POST',
      '/api/v1/orgs/Acme/projects/shop/environments/production/manifest',
      MANIFEST,
    );
    expect(pushed.status, JSON.stringify(pushed.json)).toBe(201);

    await page.goto(`${server.url}/#/orgs/Acme/projects/shop/env/production`);
    await page.getByLabel('Key name').fill('Warehouse');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('shown-once-token').textContent()) ?? '';
    expect(key).toMatch(/^shop_/);
    expect((await asPat('POST', '/api/v1/verify', { key })).json.valid).toBe(true);
    await page.getByRole('button', { name: 'Done, hide it' }).click();

    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Revoke Warehouse').waitFor();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByRole('cell', { name: 'revoked' }).waitFor();
    expect((await asPat('POST', '/api/v1/verify', { key })).json.valid).toBe(false);
  });

  it('sets a secret, shows it masked, and reveals it on request', async () => {
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('STRIPE_KEY');
    await page.getByLabel('Value').fill('sk_test_dashboard');
    await page.getByRole('button', { name: 'Set secret' }).click();
    const value = page.getByTestId('secret-value-STRIPE_KEY');
    await value.waitFor();
    expect(await value.textContent()).not.toContain('sk_test_dashboard');
    await page.getByText('differs from the live release').waitFor();
    await page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await page.getByText('sk_test_dashboard').waitFor();
  });

  it('every page passes axe with no violations and fits 375 px', async () => {
    await visit('account', 'Personal access tokens', 'account');
    await visit('orgs/Acme/projects', 'Environment matrix', 'projects');
    await visit('orgs/Acme/projects/shop/env/production', 'STRIPE_KEY', 'environment');
    await visit('orgs/Acme/projects/shop/matrix', 'STRIPE_KEY', 'matrix');
    await visit('orgs/Acme/members', 'ada@example.com', 'members');
    await visit('orgs/Acme/hygiene', 'Needs a look', 'hygiene');
    await visit('orgs/Acme/audit', 'secret.set', 'audit');
    expect(cspViolations).toEqual([]);
  });

  it('the audit log lists what the dashboard did, filters by action, and the chain verifies', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/audit`);
    for (const action of ['api_key.created', 'api_key.revoked', 'secret.set'])
      await page.getByRole('cell', { name: action, exact: true }).first().waitFor();
    await page.getByLabel('Action (or prefix, e.g. secret.*)').fill('secret.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('cell', { name: 'api_key.created', exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'secret.set', exact: true }).first().waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/^Chain verified: \d+ rows/).waitFor();
    expect(cspViolations).toEqual([]);
  });
});
