import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseToken } from '@latchkey/core';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { Browser, devSignIn } from '../web/browser.js';

/**
 * The proof that the sign-in protocols are standard: a third-party OAuth client, configured only
 * from the metadata document, completes both flows against a real listening server, with a
 * browser-like cookie jar driving the pages over HTTP.
 */
const db = useTestDatabase();
let t: TestApp;
let issuer: string;
let loopback: Server;
let callbacks: URL[] = [];

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  t = await createTestApp(db.database, { publicUrl: issuer, mode: 'dev' });
  await t.app.listen({ port, host: '127.0.0.1' });
  // Stands in for the CLI's loopback listener: records where the browser was sent.
  loopback = createServer((req, res) => {
    callbacks.push(new URL(req.url!, `http://${req.headers.host}`));
    res.end('You can close this tab.');
  });
  await new Promise<void>((resolve) => loopback.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => loopback?.close(resolve));
  await t?.app.close();
});

function discover() {
  return client.discovery(new URL(issuer), 'latch-cli', undefined, client.None(), {
    execute: [client.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}

async function whoAmI(token: string) {
  const res = await fetch(`${issuer}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: res.status,
    body: (await res.json()) as { user: { email: string }; token: { name: string } },
  };
}

describe('a third-party OAuth client (openid-client) against the real server', () => {
  it('completes the device flow', { timeout: 30_000 }, async () => {
    const config = await discover();
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${issuer}/oauth/device/code`);
    const started = await client.initiateDeviceAuthorization(config, { device_name: 'ci-box-3' });
    expect(started.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);

    const browser = Browser.fetch(issuer);
    await devSignIn(browser, 'device-user@example.com');
    const entry = await browser.get(started.verification_uri_complete!);
    const confirm = await browser.submit(entry, '/device', {});
    expect(confirm.body).toContain('ci-box-3');
    const done = await browser.submit(confirm, '/device/approve', { decision: 'approve' });
    expect(done.body).toContain('Device approved');

    // The library waits the advertised interval (5 s) before its poll, as RFC 8628 asks.
    const tokens = await client.pollDeviceAuthorizationGrant(config, started);
    expect(tokens.token_type).toBe('bearer');
    expect(parseToken(tokens.access_token)?.prefix).toBe('lk_pat_');
    expect(tokens.expires_in).toBe(120 * 86_400);
    const me = await whoAmI(tokens.access_token);
    expect(me.body.user.email).toBe('device-user@example.com');
    expect(me.body.token.name).toBe('ci-box-3');

    await client.tokenRevocation(config, tokens.access_token);
    expect((await whoAmI(tokens.access_token)).status).toBe(401);
  });

  it('completes the authorization code flow with PKCE and a loopback redirect', async () => {
    const config = await discover();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const redirectUri = `http://127.0.0.1:${(loopback.address() as AddressInfo).port}/callback`;
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      device_name: 'alice-laptop',
    });

    const browser = Browser.fetch(issuer);
    const toLogin = await browser.get(url.href);
    expect(toLogin.status).toBe(302);
    const signedIn = await devSignIn(
      browser,
      'code-user@example.com',
      new URL(toLogin.location!, issuer).searchParams.get('next')!,
    );
    const consent = await browser.get(signedIn.location!);
    expect(consent.body).toContain('alice-laptop');
    const approved = await browser.submit(consent, '/oauth/authorize', { decision: 'approve' });
    expect(approved.status).toBe(303);
    callbacks = [];
    await fetch(approved.location!);
    expect(callbacks).toHaveLength(1);

    const tokens = await client.authorizationCodeGrant(config, callbacks[0]!, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(parseToken(tokens.access_token)?.prefix).toBe('lk_pat_');
    const me = await whoAmI(tokens.access_token);
    expect(me.status).toBe(200);
    expect(me.body.token.name).toBe('alice-laptop');

    // The same callback cannot be redeemed twice.
    await expect(
      client.authorizationCodeGrant(config, callbacks[0]!, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
