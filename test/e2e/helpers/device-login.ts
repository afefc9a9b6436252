import { expect } from 'vitest';
import { Browser, devSignIn, hiddenFields } from '../../../packages/server/test/web/browser.js';
import { spawnLatch, waitFor } from './latch.js';

/** Signs in with the device flow through the real binary, approving in the real web pages. */
export async function deviceLogin(serverUrl: string, configDir: string, email: string) {
  const login = spawnLatch(['login', '--device', '--api-url', serverUrl], { configDir });
  const code = await waitFor(
    'the device code',
    () => /\b([B-Z]{4}-[B-Z]{4})\b/.exec(login.out.stderr + login.out.stdout)?.[1],
  );
  const browser = Browser.fetch(serverUrl);
  let page = await devSignIn(browser, email, `/device?user_code=${code}`);
  // Sign-in answers with a redirect (302 or 303) back to the device page.
  for (let hops = 0; hops < 3 && page.status >= 300 && page.status < 400 && page.location; hops++) {
    page = await browser.get(page.location);
  }
  if (page.body.includes('action="/device"'))
    page = await browser.submit(page, '/device', { user_code: code });
  const approve = hiddenFields(page.body, '/device/approve');
  const approved = await browser.post('/device/approve', { ...approve, decision: 'approve' });
  expect(approved.status).toBeLessThan(400);
  expect(await login.done, login.out.stderr).toBe(0);
}
