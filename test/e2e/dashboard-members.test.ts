import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type RealBrowser } from './helpers/chromium.js';
import { apiIn, devSignIn } from './helpers/dashboard-checks.js';
import { checkPage, openPage } from './helpers/page-checks.js';
import { type RunningServer, startServer } from './helpers/server.js';

// Issue 14's "invite a second person who accepts": Ada invites from the Members page of a real
// `latch dev` (no mail server, so the page shows the one-time link), Bob opens it in a second
// Chromium with its own cookies and signs up with a password, and Ada's page lists him with his
// role. Then the role change and the removal, each confirmed (the removal by keyboard), and a
// list long enough to page.
const ADA = 'ada@example.com';
const BOB = 'bob@example.com';
const BOB_PASSWORD = 'bob picks a long passphrase';
let server: RunningServer;
let ada: RealBrowser;
let bob: RealBrowser;
let page: Page;
let bobPage: Page;
let complaints: string[];

const memberRow = (email: string) =>
  page.getByRole('region', { name: 'Members' }).getByRole('row').filter({ hasText: email });
const activeText = () => page.evaluate(() => document.activeElement?.textContent ?? '');
const roleOf = async (email: string) => {
  const res = await apiIn(page, 'GET', '/api/v1/orgs/Acme/members');
  const items = res.json.items as { email: string; role: string }[];
  return items.find((m) => m.email === email)?.role ?? null;
};

beforeAll(async () => {
  server = await startServer();
  ada = await launchChromium();
  bob = await launchChromium();
  ({ page, complaints } = await openPage(ada));
  await devSignIn(page, server.url, ADA);
  expect((await apiIn(page, 'POST', '/api/v1/orgs', { name: 'Acme' })).status).toBe(201);
  ({ page: bobPage } = await openPage(bob));
}, 180_000);
afterAll(async () => {
  await bob?.close();
  await ada?.close();
  await server?.stop();
});

describe('a second person, invited in the dashboard, accepts', { timeout: 180_000 }, () => {
  it('the invitation link opens in a fresh browser, Bob signs up, Ada sees him with his role', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/members`);
    await memberRow(ADA).waitFor();
    const invite = page.getByRole('region', { name: 'Invitations' });
    await invite.getByLabel('Email').fill(BOB);
    await invite.getByRole('combobox').selectOption('developer');
    await page.getByRole('button', { name: 'Invite' }).click();
    const shown = page.getByRole('status').filter({ hasText: 'single-use link' }).locator('code');
    const link = (await shown.textContent()) ?? '';
    expect(link).toMatch(new RegExp(`^${server.url}/invite/lk_inv_`));
    await page.getByText(`${BOB} as developer, expires`).waitFor();
    await checkPage(page, 'members-invited');

    // Bob: another browser, no cookie of Ada's.
    expect(await bob.context.cookies()).toEqual([]);
    await bobPage.goto(link);
    await bobPage.getByRole('heading', { name: 'Join Acme' }).waitFor();
    await bobPage.locator('#name').fill('Bob');
    await bobPage.locator('#password').fill(BOB_PASSWORD);
    await bobPage.locator('#confirm').fill(BOB_PASSWORD);
    await bobPage.getByRole('button', { name: 'Create account and join' }).click();
    await bobPage.getByRole('heading', { name: 'Welcome to Acme' }).waitFor();
    expect(await bobPage.textContent('main')).toContain('as a developer');
    // Signed in by the signup: his own dashboard shows the org and its members.
    await bobPage.goto(`${server.url}/#/orgs/Acme/members`);
    await bobPage.getByRole('heading', { name: 'Members of Acme' }).waitFor();
    await bobPage.getByText(BOB, { exact: true }).first().waitFor();
    // The link was single-use.
    expect((await fetch(link)).status).toBe(410);

    await page.reload();
    await memberRow(BOB).waitFor();
    expect(await memberRow(BOB).getByLabel(`Role of ${BOB}`).inputValue()).toBe('developer');
    expect(await page.getByText(`${BOB} as developer, expires`).count()).toBe(0);
    await checkPage(page, 'members-joined');
  });

  it('a role change asks first, naming the member and both roles; Cancel changes nothing', async () => {
    const select = memberRow(BOB).getByLabel(`Role of ${BOB}`);
    await select.selectOption('admin');
    const ask = memberRow(BOB).getByText(`Change the role of ${BOB} in Acme from developer to admin?`);
    await ask.waitFor();
    expect(await roleOf(BOB)).toBe('developer');
    await memberRow(BOB).getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'detached' });
    expect(await select.inputValue()).toBe('developer');
    expect(await roleOf(BOB)).toBe('developer');

    await select.selectOption('admin');
    await memberRow(BOB).getByRole('button', { name: 'Yes, change role' }).click();
    await ask.waitFor({ state: 'detached' });
    expect(await roleOf(BOB)).toBe('admin');
    await page.reload();
    expect(await memberRow(BOB).getByLabel(`Role of ${BOB}`).inputValue()).toBe('admin');
  });

  it('a removal by keyboard: the confirmation names Bob, takes the focus, Escape backs out', async () => {
    const remove = memberRow(BOB).getByRole('button', { name: 'Remove', exact: true });
    await remove.focus();
    await page.keyboard.press('Enter');
    await memberRow(BOB).getByText(`Remove ${BOB} from Acme? Their access to its projects ends.`).waitFor();
    expect(await activeText()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await remove.waitFor();
    expect(await activeText()).toBe('Remove');
    expect(await roleOf(BOB)).toBe('admin');

    await page.keyboard.press('Enter');
    await page.keyboard.press('Shift+Tab');
    expect(await activeText()).toBe('Yes, remove');
    await page.keyboard.press('Enter');
    await memberRow(BOB).waitFor({ state: 'detached' });
    expect(await roleOf(BOB)).toBeNull();
    // Bob, still signed in, no longer sees Acme: his page shows the API's 404, as the API words it.
    await bobPage.reload();
    const refused = bobPage.getByRole('alert').first();
    await refused.waitFor();
    expect(await refused.textContent()).toContain('Error code: NOT_FOUND');
    expect((await apiIn(bobPage, 'GET', '/api/v1/orgs/Acme/members')).status).toBe(404);
  });

  it('the skip link moves the focus into the content and keeps the page (the hash is the route)', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/members`);
    await page.reload();
    await memberRow(ADA).waitFor();
    await page.keyboard.press('Tab');
    expect(await activeText()).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(new URL(page.url()).hash).toBe('#/orgs/Acme/members');
    await page.getByRole('heading', { name: 'Members of Acme' }).waitFor();
    // The next Tab lands in the content, past the header's links.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
  });

  it('the audit log has the invitation, its acceptance, the role change and the removal; chain verified', async () => {
    await page.goto(`${server.url}/#/orgs/Acme/audit`);
    for (const action of [
      'invitation.created',
      'invitation.accepted',
      'member.role_changed',
      'member.removed',
    ])
      await page.getByRole('cell', { name: action, exact: true }).first().waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/^Chain verified: \d+ rows/).waitFor();
    await checkPage(page, 'audit-members');
  });

  it('long lists page: 50 tokens, then "Load more" brings the rest; the hygiene view too', async () => {
    for (let i = 0; i < 52; i++) {
      const made = await apiIn(page, 'POST', '/api/v1/pats', { name: `bulk-${i}`, expiresIn: '3d' });
      expect(made.status).toBe(201);
    }
    await page.goto(`${server.url}/#/account`);
    const rows = page.getByRole('region', { name: 'Personal access tokens' }).locator('tbody tr');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(51).waitFor();
    expect(await rows.count()).toBe(52);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    // All 52 expire within 7 days: the hygiene view flags each, 50 at a time.
    await page.goto(`${server.url}/#/orgs/Acme/hygiene`);
    const flagged = page.getByRole('region', { name: 'Needs a look' }).locator('tbody tr');
    await flagged.nth(49).waitFor();
    expect(await flagged.count()).toBe(50);
    expect(await flagged.first().textContent()).toContain('expires within 7 days');
    await page.getByRole('button', { name: 'Load more' }).click();
    await flagged.nth(51).waitFor();
    expect(await flagged.count()).toBe(52);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    expect(complaints).toEqual([]);
  });
});
