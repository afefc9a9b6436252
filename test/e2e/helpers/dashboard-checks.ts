import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { RealBrowser } from './chromium.js';
import { openPage } from './page-checks.js';

// The dashboard's browser tests: sign-in and API calls from the signed-in page. The page checks
// themselves (axe, 375 px, screenshots) are page-checks.ts's, shared with the server pages.

/** Dev sign-in on a `latch dev` server as `email`; lands on the dashboard. */
export async function devSignIn(page: Page, url: string, email: string) {
  await page.goto(`${url}/`);
  await page.getByLabel('Dev sign-in: any email, no password').fill(email);
  await page.getByRole('button', { name: 'Dev sign-in' }).click();
  await page.getByRole('heading', { name: 'Personal access tokens' }).waitFor();
}

/** An API call from inside the signed-in page: its session cookie and CSRF token, as the dashboard sends. */
export async function apiIn(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="latch-csrf"]')?.content ?? '';
      const res = await fetch(path, {
        method,
        headers: {
          'x-latch-csrf': csrf,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : {} };
    },
    { method, path, body },
  );
}

/** `apiIn` that must succeed (a 2xx); its JSON body. */
export async function okIn(page: Page, method: string, path: string, body?: unknown) {
  const res = await apiIn(page, method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300);
  return res.json;
}

/**
 * A new page of `browser` (see `openPage`) signed in to the dashboard at `url` as `email`, who
 * then creates the org Acme with its project shop and environment production.
 */
export async function signedInAtAcmeShop(browser: RealBrowser, url: string, email: string) {
  const opened = await openPage(browser);
  await devSignIn(opened.page, url, email);
  await okIn(opened.page, 'POST', '/api/v1/orgs', { name: 'Acme' });
  await okIn(opened.page, 'POST', '/api/v1/orgs/Acme/projects', { name: 'shop' });
  await okIn(opened.page, 'POST', '/api/v1/orgs/Acme/projects/shop/environments', { name: 'production' });
  return opened;
}
