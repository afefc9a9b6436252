import { describe, expect, it } from 'vitest';
import { findWebDist } from '../../src/routes/web/dashboard.js';
import { useTestApp } from '../helpers/app.js';
import { Browser, devSignIn } from './browser.js';

const t = useTestApp();

/** Signs in through the real pages and opens the dashboard: its HTML carries the CSRF token. */
async function signedIn(email: string) {
  const browser = Browser.inject(t.app);
  await devSignIn(browser, email, '/');
  const page = await browser.get('/');
  const csrf = /<meta name="latch-csrf" content="([^"]+)">/.exec(page.body)?.[1];
  return { browser, page, csrf: csrf ?? '' };
}

async function api(
  browser: Browser,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await t.app.inject({
    method,
    url,
    headers: { cookie, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, json: res.body ? (res.json() as Record<string, unknown>) : {} };
}

describe('the dashboard at /', () => {
  it('is built (npm test builds packages/web first)', () => {
    expect(findWebDist()).not.toBeNull();
  });

  it('sends a visitor without a session to sign in, coming back to /', async () => {
    const res = await t.app.inject({ url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/login?next=%2F');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers the app with a strict CSP, no-store and the session CSRF token; assets are immutable', async () => {
    const { browser, page, csrf } = await signedIn('dash@example.com');
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const csp = page.headers['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // No inline script: every <script> has a src.
    const scripts = [...page.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, content] of scripts) {
      expect(attrs).toMatch(/\ssrc="\/assets\/[\w-]+\.js"/);
      expect(content!.trim()).toBe('');
    }
    const asset = /src="(\/assets\/[^"]+)"/.exec(page.body)![1]!;
    const res = await browser.get(asset);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['cache-control']).toContain('max-age=31536000');
    expect(res.headers['content-type']).toContain('javascript');
  });

  it('an unknown asset is a 404, not the app', async () => {
    const res = await t.app.inject({ url: '/assets/nope-1234.js' });
    expect(res.statusCode).toBe(404);
  });
});

describe('the API with the session cookie', () => {
  it('acts as the signed-in person when the CSRF header matches', async () => {
    const { browser, csrf } = await signedIn('cookie@example.com');
    const me = await api(browser, 'GET', '/api/v1/me', { 'x-latch-csrf': csrf });
    expect(me.status).toBe(200);
    expect((me.json.user as { email: string }).email).toBe('cookie@example.com');
    expect((me.json.token as { kind: string }).kind).toBe('session');
    const pat = await api(
      browser,
      'POST',
      '/api/v1/pats',
      { 'x-latch-csrf': csrf },
      { name: 'from the dashboard' },
    );
    expect(pat.status).toBe(201);
    expect(String(pat.json.token)).toMatch(/^lk_pat_/);
  });

  it('refuses a cookie without the CSRF header, changing nothing', async () => {
    const { browser, csrf } = await signedIn('nocsrf@example.com');
    const created = await api(browser, 'POST', '/api/v1/pats', {}, { name: 'forged' });
    expect(created.status).toBe(401);
    expect((created.json.error as { code: string }).code).toBe('UNAUTHENTICATED');
    const read = await api(browser, 'GET', '/api/v1/me', {});
    expect(read.status).toBe(401);
    const list = await api(browser, 'GET', '/api/v1/pats', { 'x-latch-csrf': csrf });
    expect((list.json.items as { name: string }[]).map((p) => p.name)).not.toContain('forged');
  });

  it('refuses a wrong token, another session’s token, and any cross-site request', async () => {
    const a = await signedIn('a-session@example.com');
    const b = await signedIn('b-session@example.com');
    const wrong = await api(a.browser, 'GET', '/api/v1/me', { 'x-latch-csrf': 'x'.repeat(43) });
    expect(wrong.status).toBe(401);
    const other = await api(a.browser, 'GET', '/api/v1/me', { 'x-latch-csrf': b.csrf });
    expect(other.status).toBe(401);
    const crossSite = await api(
      a.browser,
      'POST',
      '/api/v1/pats',
      { 'x-latch-csrf': a.csrf, 'sec-fetch-site': 'cross-site' },
      { name: 'cross' },
    );
    expect(crossSite.status).toBe(401);
  });

  it('stops working once the person signs out', async () => {
    const { browser, csrf } = await signedIn('bye@example.com');
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const before = await t.app.inject({ url: '/api/v1/me', headers: { cookie, 'x-latch-csrf': csrf } });
    expect(before.statusCode).toBe(200);
    const page = await browser.get('/login');
    await browser.submit(page, '/logout');
    // The browser dropped the cookie; replay the old one as an attacker holding it would.
    const res = await t.app.inject({ url: '/api/v1/me', headers: { cookie, 'x-latch-csrf': csrf } });
    expect(res.statusCode).toBe(401);
  });
});
