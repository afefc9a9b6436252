import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { RealBrowser } from './chromium.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** Where screenshots go: gitignored, kept by CI as an artifact. */
export const SHOTS = join(import.meta.dirname, '..', 'screenshots');

/** Generous for a loaded 2-core machine: a condition, never a sleep. */
export const SLOW = 60_000;

export type Violation = { id: string; impact: string; nodes: string[] };

/** axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does not govern). */
export async function axeViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    type V = { id: string; impact: string; nodes: { target: string[] }[] };
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: V[] }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
}

/**
 * Everything the browser complains about on a page: console errors and warnings (an invalid CSP
 * source, a refused resource or form action, a failed load) and uncaught exceptions. Only a
 * missing favicon is allowed: no page declares one.
 */
export function collectComplaints(page: Page): string[] {
  const complaints: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    if (/\/favicon\.ico$/.test(msg.location().url)) return;
    complaints.push(`${msg.type()} on ${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => complaints.push(`exception on ${page.url()}: ${err.message}`));
  return complaints;
}

/**
 * A new page of `browser` as the browser tests use one: a desktop window, waits of up to SLOW,
 * and its complaints collected (a test ends by expecting none).
 */
export async function openPage(browser: RealBrowser): Promise<{ page: Page; complaints: string[] }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(SLOW);
  await page.setViewportSize({ width: 1200, height: 900 });
  return { page, complaints: collectComplaints(page) };
}

/**
 * The page as it is now: no axe violations at all, no horizontal overflow at 375 px, and a
 * full-page screenshot (at desktop width) under test/e2e/screenshots/<name>.png.
 */
export async function checkPage(page: Page, name: string) {
  expect(await axeViolations(page), `axe on ${name} (${page.url()})`).toEqual([]);
  const size = page.viewportSize() ?? { width: 1200, height: 900 };
  await page.setViewportSize({ width: 375, height: 800 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${name} overflows at 375 px`).toBeLessThanOrEqual(375);
  await page.setViewportSize(size);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Presses Tab until the element matching `selector` has focus (a keyboard user's way there). */
export async function tabTo(page: Page, selector: string, maxPresses = 20) {
  for (let i = 0; i < maxPresses; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}
