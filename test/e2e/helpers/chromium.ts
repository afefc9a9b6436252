import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's chromium; `.ci/run` installs it with apt-get when it is missing. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

// Quiet and self-contained: no GPU, no sandbox (CI runs as root), nothing phoning home mid-test.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type RealBrowser = {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /** Closes the browser and removes its profile folder. */
  close(): Promise<void>;
};

/**
 * A real Chromium with a fresh profile (its own cookies and storage) for one person in a test.
 * Fails loudly when Chromium is missing: browser tests never skip themselves.
 */
export async function launchChromium(): Promise<RealBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Browser tests need Chromium at ${CHROMIUM_PATH}. Install it with \`apt-get install -y chromium\` (.ci/run does).`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'latch-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ARGS,
    });
    return {
      context,
      newPage: () => context.newPage(),
      async close() {
        await context.close().catch(() => {});
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
