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

/** How long a LATCH_BROWSER_CMD may take to fail before it counts as a running browser. */
const SETTLE_MS = 1000;

/**
 * Best effort: the URL is always printed as well, so a failure here only costs a copy-paste.
 * Answers true, or why the browser did not open (shown to the user instead of failing silently).
 */
export async function openBrowser(url: string, env: Env, settleMs = SETTLE_MS): Promise<true | string> {
  const template = env.LATCH_BROWSER_CMD;
  if (template) {
    const command = browserCommand(template, url);
    if (!command) return 'LATCH_BROWSER_CMD is empty';
    const name = command[0];
    return new Promise((resolve) => {
      const child = spawn(command[0], command[1], { stdio: 'ignore', detached: true });
      // A browser keeps running (or hands over to a running one and exits 0); a command that
      // fails exits non-zero at once: wait briefly to tell them apart.
      const timer = setTimeout(() => {
        child.unref();
        resolve(true);
      }, settleMs);
      timer.unref();
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve(
          `LATCH_BROWSER_CMD could not start \`${name}\` (${(err as NodeJS.ErrnoException).code ?? err.message})`,
        );
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(true);
        else
          resolve(
            `LATCH_BROWSER_CMD (\`${name}\`) failed with ${signal ? `signal ${signal}` : `exit code ${code}`}`,
          );
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
    return 'the system browser could not be started';
  }
}
