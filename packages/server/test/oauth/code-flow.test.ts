import { createHash, randomBytes } from 'node:crypto';
import { parseToken } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { Browser, devSignIn } from '../web/browser.js';

const t = useTestApp();

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(over: Record<string, string | null> = {}, challenge = pkce().challenge) {
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: 'latch-cli',
    redirect_uri: 'http://127.0.0.1:53682/callback',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'st-123',
    device_name: 'alice-mbp',
    ...over,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null) q.set(k, v);
  return `/oauth/authorize?${q}`;
}

async function signedIn(email = `code-${Date.now()}-${Math.random()}@example.com`) {
  const browser = Browser.inject(t.app);
  await devSignIn(browser, email);
  return browser;
}

/** Runs consent up to the redirect to the loopback listener; returns code and state from it. */
async function authorize(
  opts: { redirectUri?: string; decision?: 'approve' | 'deny'; browser?: Browser } = {},
) {
  const { verifier, challenge } = pkce();
  const browser = opts.browser ?? (await signedIn());
  const redirectUri = opts.redirectUri ?? 'http://127.0.0.1:53682/callback';
  const consent = await browser.get(authorizeUrl({ redirect_uri: redirectUri }, challenge));
  expect(consent.status).toBe(200);
  const answer = await browser.submit(consent, '/oauth/authorize', { decision: opts.decision ?? 'approve' });
  // CSP cannot allow an IPv6 literal in form-action, so an [::1] listener gets a link, not a 303.
  const v6 = new URL(redirectUri).hostname === '[::1]';
  expect(answer.status).toBe(v6 ? 200 : 303);
  const link = /<a class="button" href="([^"]+)">Return to the CLI<\/a>/.exec(answer.body)?.[1];
  if (v6) expect(link, answer.body).toBeDefined();
  const location = new URL(v6 ? link!.replaceAll('&amp;', '&') : answer.location!);
  return { verifier, redirectUri, location, code: location.searchParams.get('code') ?? '' };
}

function redeem(input: { code: string; verifier: string; redirectUri: string }) {
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'authorization_code',
      code: input.code,
      code_verifier: input.verifier,
      redirect_uri: input.redirectUri,
      client_id: 'latch-cli',
    }).toString(),
  });
}

describe('authorization code + PKCE, loopback (RFC 7636, RFC 8252)', () => {
  it('sends a signed-out browser to sign in, then to consent', async () => {
    const browser = Browser.inject(t.app);
    const url = authorizeUrl();
    const first = await browser.get(url);
    expect(first.status).toBe(302);
    expect(first.location).toBe(`/login?next=${encodeURIComponent(url)}`);
    const after = await devSignIn(browser, 'consent@example.com', url);
    expect(after.location).toBe(url);
    const consent = await browser.get(url);
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('Latchkey CLI');
    expect(consent.body).toContain('alice-mbp');
    expect(consent.body).toContain('consent@example.com');
    expect(consent.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(consent.headers['x-frame-options']).toBe('DENY');
  });

  it('accepts 127.0.0.1 and [::1] on any port, echoes state, and issues a PAT named after the machine', async () => {
    for (const redirectUri of [
      'http://127.0.0.1:1/cb',
      'http://127.0.0.1:65535/a/b?x=1',
      'http://[::1]:40000/callback',
    ]) {
      const { location, code, verifier } = await authorize({ redirectUri });
      expect(location.origin + location.pathname).toBe(
        new URL(redirectUri).origin + new URL(redirectUri).pathname,
      );
      expect(location.searchParams.get('state')).toBe('st-123');
      expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      if (redirectUri.includes('x=1')) expect(location.searchParams.get('x')).toBe('1');
      const res = await redeem({ code, verifier, redirectUri });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json();
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120 * 86_400 });
      expect(parseToken(body.access_token)?.prefix).toBe('lk_pat_');
      const me = await t.app.inject({ url: '/api/v1/me', headers: t.auth(body.access_token) });
      expect(me.json().token.name).toBe('alice-mbp');
    }
  });

  it('refuses non-loopback redirect URIs with a page, never redirecting', async () => {
    const browser = await signedIn();
    for (const redirectUri of [
      'http://localhost:53682/callback',
      'https://127.0.0.1:53682/callback',
      'http://evil.example/callback',
      'http://127.0.0.1.evil.example/cb',
      'http://127.1:53682/cb',
      'http://user@127.0.0.1:53682/cb',
      'http://127.0.0.1:99999/cb',
      'http://127.0.0.1:53682/cb#frag',
      'urn:ietf:wg:oauth:2.0:oob',
    ]) {
      const res = await browser.get(authorizeUrl({ redirect_uri: redirectUri }));
      expect(res.status, redirectUri).toBe(400);
      expect(res.location).toBeNull();
      expect(res.body).toContain('redirect_uri');
    }
    const unknownClient = await browser.get(authorizeUrl({ client_id: 'evil-app' }));
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.location).toBeNull();
  });

  it('requires S256: plain or a missing challenge goes back to the client as invalid_request, with state', async () => {
    const browser = await signedIn();
    const cases: Record<string, string | null>[] = [
      { code_challenge_method: 'plain' },
      { code_challenge_method: null },
      { code_challenge: null },
    ];
    for (const over of cases) {
      const res = await browser.get(authorizeUrl(over));
      expect(res.status).toBe(302);
      const location = new URL(res.location!);
      expect(location.host).toBe('127.0.0.1:53682');
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('st-123');
      expect(location.searchParams.get('code')).toBeNull();
    }
    const token = await browser.get(authorizeUrl({ response_type: 'token' }));
    expect(new URL(token.location!).searchParams.get('error')).toBe('unsupported_response_type');
  });

  it('answers access_denied with state after Deny', async () => {
    const { location, code } = await authorize({ decision: 'deny' });
    expect(code).toBe('');
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-123');
  });

  it('makes codes single-use; a replayed code also revokes the PAT it bought', async () => {
    const grant = await authorize();
    const first = await redeem(grant);
    expect(first.statusCode).toBe(200);
    const replay = await redeem(grant);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().error).toBe('invalid_grant');
    const me = await t.app.inject({ url: '/api/v1/me', headers: t.auth(first.json().access_token) });
    expect(me.statusCode).toBe(401);
  });

  it('expires codes after 60 seconds', async () => {
    const grant = await authorize();
    t.clock.advance(61_000);
    const res = await redeem(grant);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
  });

  it('answers invalid_grant to a wrong verifier or another redirect_uri, and the code is then spent', async () => {
    const wrongVerifier = await authorize();
    const res = await redeem({ ...wrongVerifier, verifier: pkce().verifier });
    expect(res.json()).toEqual({
      error: 'invalid_grant',
      error_description: expect.stringContaining('code_verifier'),
    });
    expect((await redeem(wrongVerifier)).json().error).toBe('invalid_grant');

    const wrongRedirect = await authorize();
    const mismatch = await redeem({ ...wrongRedirect, redirectUri: 'http://127.0.0.1:53683/callback' });
    expect(mismatch.json()).toEqual({
      error: 'invalid_grant',
      error_description: expect.stringContaining('redirect_uri'),
    });

    const unknown = await redeem({ ...wrongVerifier, code: randomBytes(32).toString('base64url') });
    expect(unknown.json().error).toBe('invalid_grant');
  });

  it('refuses consent posts without the CSRF token, and an unknown client at the token endpoint', async () => {
    const browser = await signedIn();
    const consent = await browser.get(authorizeUrl());
    const forged = await browser.submit(consent, '/oauth/authorize', {
      decision: 'approve',
      csrf: 'x'.repeat(43),
    });
    expect(forged.status).toBe(403);
    expect(forged.location).toBeNull();
    const grant = await authorize();
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: {
        grant_type: 'authorization_code',
        code: grant.code,
        code_verifier: grant.verifier,
        redirect_uri: grant.redirectUri,
        client_id: 'other',
      },
    });
    expect(res.json().error).toBe('invalid_client');
  });

  it('refuses a parameter sent twice', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=authorization_code&code=a&code=b&client_id=latch-cli',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });
});
