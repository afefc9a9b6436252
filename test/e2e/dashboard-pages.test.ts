import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { apiIn, devSignIn } from './helpers/dashboard-checks.js';
import { checkPage, openPage } from './helpers/page-checks.js';
import { type RunningServer, startServer } from './helpers/server.js';

// The dashboard pages for keys, service accounts, logs, releases, effects and webhooks, in a real
// Chromium against the real `latch dev` process. Each page is also checked with axe and at 375 px.
let server: RunningServer;
let browser: RealBrowser;
let page: Page;

async function bearer(token: string, path = '/api/v1/me') {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function shownOnce(): Promise<string> {
  const token = (await page.getByTestId('shown-once-token').textContent()) ?? '';
  await page.getByRole('button', { name: 'Done, hide it' }).click();
  expect(await page.content()).not.toContain(token);
  return token;
}

/** Clicks a row's destructive button, checks the confirmation names the thing, and confirms. */
async function confirmIn(rowText: string | RegExp, label: string, names: string) {
  const row = page.getByRole('row').filter({ hasText: rowText });
  await row.getByRole('button', { name: label, exact: true }).click();
  await row.getByText(names).waitFor();
  await row.getByRole('button', { name: `Yes, ${label.toLowerCase()}` }).click();
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
  ({ page } = await openPage(browser));
  await devSignIn(page, server.url, 'ada@example.com');
  expect((await apiIn(page, 'POST', '/api/v1/orgs', { name: 'Acme' })).status).toBe(201);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('dashboard: platform keys and service accounts', () => {
  it('creates a platform key with picked scopes, shows it once, rotates and revokes it', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/keys`);
    await page.getByLabel('Platform key name').fill('deployer');
    const create = page.getByRole('button', { name: 'Create platform key' });
    expect(await create.isDisabled()).toBe(true);
    await page.getByLabel('deploy', { exact: true }).selectOption('write');
    await page.getByLabel('projects', { exact: true }).selectOption('read');
    await create.click();
    await page.getByText('Copy the platform key deployer now').waitFor();
    const first = await shownOnce();
    expect(first).toMatch(/^lk_key_/);
    expect((await bearer(first)).status).toBe(200);
    const row = page.getByRole('row').filter({ hasText: 'deployer' });
    await row.getByText('deploy:write').waitFor();
    await row.getByText('projects:read').waitFor();

    await page.getByLabel('Rotation grace period').first().selectOption('0');
    await confirmIn('deployer', 'Rotate', 'keeps working for no time at all');
    const second = await shownOnce();
    expect(second).toMatch(/^lk_key_/);
    expect(second).not.toBe(first);
    expect((await bearer(first)).status).toBe(401);
    expect((await bearer(second)).status).toBe(200);

    await confirmIn('deployer', 'Revoke', 'Revoke the platform key deployer');
    await row.getByRole('cell', { name: 'revoked' }).waitFor();
    expect((await bearer(second)).status).toBe(401);
  });

  it('creates a service account and its key, refuses a duplicate with the API error, revokes and deletes', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/keys`);
    await page.getByLabel('Service account name').fill('ci');
    await page.getByLabel('Role (up to your own)').selectOption('developer');
    await page.getByRole('button', { name: 'Create service account' }).click();
    const keysOf = page.getByRole('region', { name: 'Keys of ci' });
    await keysOf.waitFor();
    await keysOf.getByLabel('Key name (optional)').fill('pipeline');
    await keysOf.getByRole('button', { name: 'Create service-account key' }).click();
    await page.getByText('Copy the key pipeline of ci now').waitFor();
    const token = await shownOnce();
    expect(token).toMatch(/^lk_sa_/);
    expect((await bearer(token)).status).toBe(200);
    await page
      .getByRole('row')
      .filter({ hasText: 'ci' })
      .getByRole('cell', { name: '1', exact: true })
      .waitFor();

    // A second account of the same name: the API's message and hint, nothing created.
    await page.getByLabel('Service account name').fill('ci');
    await page.getByRole('button', { name: 'Create service account' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Error code: CONFLICT');

    await checkPage(page, 'keys');

    await confirmIn('pipeline', 'Revoke', 'Revoke the key pipeline');
    await keysOf.getByRole('cell', { name: 'revoked' }).waitFor();
    expect((await bearer(token)).status).toBe(401);
    await confirmIn(/^ci\s*developer/, 'Delete', 'Delete the service account ci and revoke');
    await page.getByText('No service accounts yet.').waitFor();
  });

  it('offers only the scopes and roles the signed-in person holds', async () => {
    // Bob's org, where Ada is only a developer.
    const bob = await launchChromium();
    try {
      const bobPage = await bob.newPage();
      await devSignIn(bobPage, server.url, 'bob@example.com');
      expect((await apiIn(bobPage, 'POST', '/api/v1/orgs', { name: 'Beta' })).status).toBe(201);
      const invited = await apiIn(bobPage, 'POST', '/api/v1/orgs/Beta/invitations', {
        email: 'ada@example.com',
        role: 'developer',
      });
      expect(invited.status, JSON.stringify(invited.json)).toBe(201);
    } finally {
      await bob.close();
    }
    const mine = await apiIn(page, 'GET', '/api/v1/invitations');
    const invitation = (mine.json.items as { id: string }[])[0]!;
    expect((await apiIn(page, 'POST', `/api/v1/invitations/${invitation.id}/accept`)).status).toBe(200);

    await page.goto(`${server.url}/#/orgs/Beta/keys`);
    await page.getByLabel('Platform key name').waitFor();
    const levels = async (resource: string) =>
      page.getByLabel(resource, { exact: true }).locator('option').allTextContents();
    expect(await levels('deploy')).toEqual(['none', 'read', 'write']);
    expect(await levels('members')).toEqual(['none', 'read']);
    expect(await levels('org')).toEqual(['none', 'read']);
    // A developer holds no secrets:manage and only reads service accounts: no account form at all.
    await page.getByText('Your role cannot create service accounts here').waitFor();
    expect(await page.getByLabel('Service account name').count()).toBe(0);
    // And Acme, where she is the owner, offers manage again.
    await page.goto(`${server.url}/#/orgs/Acme/keys`);
    await page.getByLabel('Service account name').waitFor();
    expect(await levels('members')).toEqual(['none', 'read', 'write', 'manage']);
    expect(await page.getByLabel('Role (up to your own)').locator('option').allTextContents()).toEqual([
      'admin',
      'developer',
      'viewer',
    ]);
  });

  it('switches org only on an explicit choice; a navigation focuses the new page heading', async () => {
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    await page.goto(`${server.url}/#/orgs/Acme/keys`);
    await page.reload();
    await page.getByRole('heading', { name: 'Platform keys and service accounts of Acme' }).waitFor();
    // The first load leaves focus alone (the skip button comes first for Tab).
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('BODY');
    // Arrow keys (or a pick) only change the select: the page stays until Enter or Switch.
    const org = page.getByLabel('Org', { exact: true });
    await org.selectOption('Beta');
    await new Promise((r) => setTimeout(r, 300));
    expect(page.url()).toContain('#/orgs/Acme/keys');
    await page.getByRole('heading', { name: 'Platform keys and service accounts of Acme' }).waitFor();
    await org.press('Enter');
    await page.getByRole('heading', { name: 'Projects of Beta' }).waitFor();
    expect(page.url()).toContain('#/orgs/Beta/projects');
    await expect.poll(focused).toBe('Projects of Beta');
    await org.selectOption('Acme');
    await page.getByRole('button', { name: 'Switch', exact: true }).click();
    await expect.poll(focused).toBe('Projects of Acme');
    // A nav link followed by keyboard: the new page's heading has focus, so it is announced.
    await page.getByRole('link', { name: 'Members', exact: true }).press('Enter');
    await expect.poll(focused).toBe('Members of Acme');
    await checkPage(page, 'org-switch');
  });
});

const ENV = '/api/v1/orgs/Acme/projects/shop/environments/production';
const MANIFEST = {
  project: 'shop',
  apiKeys: { scopes: { orders: { grants: { Order: ['read'] } } } },
  routes: [],
};

describe('dashboard: releases, access log and credential hygiene', () => {
  beforeAll(async () => {
    const ok = async (method: string, path: string, body?: unknown) => {
      const res = await apiIn(page, method, path, body);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300);
    };
    await page.goto(`${server.url}/#/account`);
    await ok('POST', '/api/v1/orgs/Acme/projects', { name: 'shop' });
    await ok('POST', '/api/v1/orgs/Acme/projects/shop/environments', { name: 'production' });
    await ok('PUT', `${ENV}/secrets/STRIPE_KEY`, { value: 'sk_test_one' });
    await ok('POST', `${ENV}/deploy`, { message: 'first' });
    await ok('PUT', `${ENV}/secrets/STRIPE_KEY`, { value: 'sk_test_two' });
    await ok('PUT', `${ENV}/secrets/DB_URL`, { value: 'postgres://db/shop' });
    await ok('POST', `${ENV}/deploy`, { message: 'second', manifest: MANIFEST });
  });

  it('compares any two releases: names, versions and scopes, never values', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/projects/shop/env/production`);
    await page.getByLabel('From release').selectOption('1');
    await page.getByLabel('To release').selectOption('2');
    await page.getByRole('button', { name: 'Compare' }).click();
    const changes = page.getByRole('region', { name: 'Changes from v1 to v2' });
    await changes.getByText('secret STRIPE_KEY (v1 → v2)').waitFor();
    await changes.getByText('secret DB_URL (v1)').waitFor();
    await changes.getByText('scope orders').waitFor();
    expect(await changes.textContent()).not.toContain('sk_test');
    await checkPage(page, 'release-diff');
    await page.getByLabel('From release').selectOption('2');
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.getByText('v2 and v2 are identical.').waitFor();
  });

  it('records a reveal in the access log, reached from the audit page, filtered by name and env', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/projects/shop/env/production`);
    await page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await page.getByText('sk_test_two').waitFor();

    await page.goto(`${server.url}/#/orgs/Acme/audit`);
    await page.getByRole('link', { name: 'access log' }).click();
    await page.getByRole('heading', { name: 'Access log of Acme' }).waitFor();
    await page.getByLabel('Secret name').fill('STRIPE_KEY');
    await page.getByLabel('Environment').fill('production');
    await page.getByRole('button', { name: 'Filter' }).click();
    const row = page.getByRole('row').filter({ hasText: 'STRIPE_KEY' });
    await row.getByText('ada@example.com').waitFor();
    await row.getByText('shop / production').waitFor();
    expect(await page.content()).not.toContain('sk_test_two');
    await checkPage(page, 'access-log');

    await page.getByLabel('Secret name').fill('DB_URL');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No reads match.').waitFor();
    // A name that cannot be a secret's: the API's error, word for word.
    await page.getByLabel('Secret name').fill('lower-case');
    await page.getByRole('button', { name: 'Filter' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('UPPER_SNAKE_CASE');
    expect(await alert.textContent()).toContain('Error code: INVALID_INPUT');
  });

  it('rotates an expiring PAT from the hygiene view: the new token shown once, the old one refused', async () => {
    const created = await apiIn(page, 'POST', '/api/v1/pats', { name: 'old-laptop', expiresIn: '3d' });
    expect(created.status).toBe(201);
    const old = created.json.token as string;
    await page.goto(`${server.url}/#/orgs/Acme/hygiene`);
    const row = page.getByRole('row').filter({ hasText: 'old-laptop' });
    await row.getByText('expires within 7 days').waitFor();
    await confirmIn('old-laptop', 'Rotate', 'The current token stops working at once.');
    await page.getByText('Copy the new secret of the PAT old-laptop now').waitFor();
    const fresh = await shownOnce();
    expect(fresh).toMatch(/^lk_pat_/);
    expect((await bearer(old)).status).toBe(401);
    expect((await bearer(fresh)).status).toBe(200);
    await checkPage(page, 'hygiene-rotate');
  });
});
