import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../packages/server/src/runtime/free-port.js';
import { startUpstreamIdp, type UpstreamIdp } from '../../packages/server/test/helpers/oidc-provider.js';
import { launchChromium } from './helpers/chromium.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let idp: UpstreamIdp;
let server: RunningServer;
const erin = tempDir('erin');
const browserCmd = `${process.execPath} ${join(import.meta.dirname, 'fixtures/browser.mjs')} {url}`;

beforeAll(async () => {
  // The provider must know Latchkey's callback before Latchkey starts: pick the port first.
  const port = await findFreePort();
  idp = await startUpstreamIdp({ redirectUri: `http://127.0.0.1:${port}/sso/callback` });
  idp.accounts.set('erin-sub', { email: 'erin@example.com', email_verified: true, name: 'Erin' });
  idp.accounts.set('finn-sub', { email: 'finn@example.com', email_verified: true, name: 'Finn' });
  server = await startServer({
    command: 'server',
    env: {
      LATCH_PORT: String(port),
      LATCH_MASTER_KEY: randomBytes(32).toString('base64'),
      LATCH_AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
      LATCH_OIDC_ISSUER: idp.issuer,
      LATCH_OIDC_CLIENT_ID: idp.clientId,
      LATCH_OIDC_CLIENT_SECRET: idp.clientSecret,
      LATCH_OIDC_ALLOW_SIGNUP: '1',
      LATCH_OIDC_ALLOWED_DOMAINS: 'example.com',
    },
  });
});
afterAll(async () => {
  await server?.stop();
  await idp?.close();
  erin.remove();
});

describe('single sign-on on `latch server`, through the real latch binary', () => {
  it('`latch login` signs up through SSO in the browser, unchanged; identities are listed and removable', async () => {
    const login = await latch(['login', '--api-url', server.url], {
      configDir: erin.path,
      env: { LATCH_BROWSER_CMD: browserCmd, E2E_BROWSER_SSO_LOGIN: 'erin-sub', DISPLAY: ':0' },
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr + login.stdout).toContain('erin@example.com');

    const identities = await latch(['auth', 'identities', '--json'], { configDir: erin.path });
    expect(identities.code, identities.stderr).toBe(0);
    const links = identities.json();
    expect(links).toEqual([
      expect.objectContaining({ issuer: idp.issuer, subject: 'erin-sub', email: 'erin@example.com' }),
    ]);
    const table = await latch(['auth', 'identities'], { configDir: erin.path });
    expect(table.stdout).toContain('erin-sub');

    // The provider's own tokens now work on /api/v1 as Erin.
    const jwt = await idp.signJwt({ sub: 'erin-sub' });
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(me.status).toBe(200);
    expect((await me.json()).user.email).toBe('erin@example.com');
    expect(server.logs.stdout + server.logs.stderr).not.toContain(jwt.slice(jwt.lastIndexOf('.') + 1));
    const asOidc = await latch(['auth', 'status', '--json'], {
      configDir: tempDir('ci').path,
      env: { LATCH_TOKEN: jwt, LATCH_API_URL: server.url },
    });
    expect(asOidc.code, asOidc.stderr).toBe(0);
    expect(asOidc.json()).toMatchObject({ user: { email: 'erin@example.com' }, token: { kind: 'oidc' } });
    expect(asOidc.stdout).not.toContain(jwt);

    const refused = await latch(['auth', 'identities', 'remove', links[0].id], { configDir: erin.path });
    expect(refused.code).toBe(2);
    const removed = await latch(['auth', 'identities', 'remove', links[0].id, '--yes'], {
      configDir: erin.path,
    });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stderr).toContain('Unlinked erin-sub');
    const after = await latch(['auth', 'identities', '--json'], { configDir: erin.path });
    expect(after.json()).toEqual([]);
    const unlinked = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(unlinked.status).toBe(401);
    expect((await unlinked.json()).error.hint).toContain('Sign in with SSO once');
  });

  it('in a real Chromium: "Sign in with SSO", the provider\'s own pages, and back signed in', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/login`);
      await page.getByRole('link', { name: /Sign in with SSO/i }).click();
      await page.waitForURL((url) => url.origin === new URL(idp.issuer).origin);
      // oidc-provider's development pages: a login form (any password), then a consent form.
      await page.locator('input[name="login"]').fill('finn-sub');
      await page.locator('input[name="password"]').fill('any');
      await page.locator('button[type="submit"]').click();
      for (let i = 0; i < 3 && new URL(page.url()).origin !== server.url; i++) {
        const consent = page.locator('button[type="submit"]');
        if (await consent.count()) await consent.first().click();
        await page.waitForLoadState();
      }
      await page.waitForURL((url) => url.origin === server.url);
      await page.goto(`${server.url}/login`);
      expect(await page.content()).toContain('signed in as <strong>finn@example.com</strong>');
    } finally {
      await browser.close();
    }
  });

  it('refuses to start with a malformed issuer, saying what to fix', async () => {
    await expect(
      startServer({
        command: 'server',
        env: {
          LATCH_MASTER_KEY: randomBytes(32).toString('base64'),
          LATCH_AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
          LATCH_OIDC_ISSUER: 'http://id.example.com',
          LATCH_OIDC_CLIENT_ID: 'latchkey',
        },
      }),
    ).rejects.toThrow(/LATCH_OIDC_ISSUER must be an https:\/\/ URL/);
  });
});
