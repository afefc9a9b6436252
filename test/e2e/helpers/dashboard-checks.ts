import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const shots = join(import.meta.dirname, '..', 'screenshots');

/** axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does not govern). */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    type Violation = { id: string; impact: string; nodes: { target: string[] }[] };
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
}

/**
 * The page as it stands: no axe violations, no horizontal overflow at 375 px, and a screenshot
 * (test/e2e/screenshots, a CI artifact).
 */
export async function checkPage(page: Page, name: string) {
  expect(await axeViolations(page), name).toEqual([]);
  const size = page.viewportSize() ?? { width: 1200, height: 900 };
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(overflow, `${name} overflows at 375 px`).toBeLessThanOrEqual(375);
  await page.setViewportSize(size);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

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
