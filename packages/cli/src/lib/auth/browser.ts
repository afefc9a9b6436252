import { spawn } from 'node:child_process';
import type { Env } from '../config.js';

/**
 * Splits LATCH_BROWSER_CMD on whitespace and puts the URL in place of `{url}` (or last). It runs
 * without a shell, so nothing in the URL can be interpreted as shell syntax.
 */
export function browserCommand(template: string, url: string): [string, string[]] | null {
  const parts = template.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return null;
  const hasPlaceholder = parts.some((p) => p.includes('{url}'));
  const args = parts.map((p) => p.replaceAll('{url}', url));
  if (!hasPlaceholder) args.push(url);
  const [cmd, ...rest] = args;
  return [cmd!, rest];
}

/** Best effort: the URL is always printed as well, so a failure here only costs a copy-paste. */
export async function openBrowser(url: string, env: Env): Promise<boolean> {
  const template = env.LATCH_BROWSER_CMD;
  if (template) {
    const command = browserCommand(template, url);
    if (!command) return false;
    return new Promise((resolve) => {
      const child = spawn(command[0], command[1], { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    });
  }
  try {
    const { default: open } = await import('open');
    const child = await open(url);
    child.once('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
