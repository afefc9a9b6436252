import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/services/identity/passwords.js';
import { useTestApp } from '../helpers/app.js';
import { Browser, hiddenFields, passwordSignIn } from './browser.js';

const t = useTestApp({ mode: 'production' });
const PASSWORD = 'correct horse battery staple';
const EMAIL = 'owner@example.com';

beforeAll(async () => {
  const passwordHash = await hashPassword(PASSWORD);
  await t.database.db.transaction((tx) =>
    t.app.services.identity.createUser(
      tx,
      { email: EMAIL, passwordHash },
      { ip: null, requestId: null },
      'test',
    ),
  );
  // A user without a password (e.g. SSO-only) must answer like anyone else.
  await t.database.db.transaction((tx) =>
    t.app.services.identity.createUser(
      tx,
      { email: 'sso@example.com' },
      { ip: null, requestId: null },
      'test',
    ),
  );
});

async function timedSignIn(browser: Browser, email: string, password: string) {
  const fields = hiddenFields((await browser.get('/login')).body, '/login');
  const started = performance.now();
  const res = await browser.post('/login', { ...fields, email, password });
  return { res, ms: performance.now() - started };
}

describe('password sign-in', () => {
  it('signs in with the right password and sets a strict session cookie', async () => {
    const browser = Browser.inject(t.app);
    const res = await passwordSignIn(browser, EMAIL, PASSWORD);
    expect(res.status).toBe(303);
    expect(res.location).toBe('/login');
    const cookie = (await t.app.inject({ url: '/login' })).headers['set-cookie'];
    expect(String(cookie)).toMatch(/latch_csrf=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    expect(browser.cookies.get('latch_session')).toBeTruthy();
    const page = await browser.get('/login');
    expect(page.body).toContain(`signed in as <strong>${EMAIL}</strong>`);
  });

  it('answers an unknown email, a wrong password and a password-less account identically, each after an argon2 check', async () => {
    const browser = Browser.inject(t.app);
    const unknown = await timedSignIn(browser, 'nobody@example.com', 'wrong password 1');
    const wrong = await timedSignIn(browser, EMAIL, 'wrong password 1');
    const noPassword = await timedSignIn(browser, 'sso@example.com', 'wrong password 1');
    for (const attempt of [unknown, wrong, noPassword]) {
      expect(attempt.res.status).toBe(401);
      expect(attempt.res.body).toContain('Wrong email or password.');
      expect(attempt.ms).toBeGreaterThan(5);
      expect(browser.cookies.has('latch_session')).toBe(false);
    }
    const normalise = (body: string, email: string) => body.replaceAll(email, 'EMAIL');
    expect(normalise(unknown.res.body, 'nobody@example.com')).toBe(normalise(wrong.res.body, EMAIL));
    expect(normalise(noPassword.res.body, 'sso@example.com')).toBe(normalise(wrong.res.body, EMAIL));
    expect(Object.keys(unknown.res.headers).sort()).toEqual(Object.keys(wrong.res.headers).sort());
  });

  it('audits failures and successes without ever recording the password', async () => {
    const browser = Browser.inject(t.app);
    await timedSignIn(browser, EMAIL, 'a-secret-wrong-guess');
    await passwordSignIn(browser, EMAIL, PASSWORD);
    const rows = await t.database.db.execute<{ action: string; data: Record<string, unknown> }>(
      sql`SELECT action, data FROM audit_events WHERE action LIKE 'user.sign%' ORDER BY id`,
    );
    expect(rows.rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['user.sign_in_failed', 'user.signed_in']),
    );
    const failed = rows.rows.filter((r) => r.action === 'user.sign_in_failed');
    expect(failed.map((r) => r.data)).toContainEqual({
      email: EMAIL,
      reason: 'wrong_password',
      via: 'password',
    });
    expect(failed.map((r) => r.data)).toContainEqual({
      email: 'nobody@example.com',
      reason: 'unknown_email',
      via: 'password',
    });
    const all = JSON.stringify(rows.rows);
    expect(all).not.toContain('a-secret-wrong-guess');
    expect(all).not.toContain(PASSWORD);
  });

  it('rate limits attempts per email, even from many addresses', async () => {
    const limit = t.config.rateLimits.signIn.points;
    const target = 'target@example.com';
    for (let i = 0; i < limit; i++) {
      expect((await timedSignIn(Browser.inject(t.app), target, `guess ${i}`)).res.status).toBe(401);
    }
    const blocked = await timedSignIn(Browser.inject(t.app), target, 'guess again');
    expect(blocked.res.status).toBe(429);
    expect(Number(blocked.res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('keys the per-email lockout on the normalised email: no Unicode spelling gets a fresh budget or the account', async () => {
    const victim = 'ops.admin@example.com';
    await t.database.db.transaction(async (tx) =>
      t.app.services.identity.createUser(
        tx,
        { email: victim, passwordHash: await hashPassword(PASSWORD) },
        { ip: null, requestId: null },
        'test',
      ),
    );
    const limit = t.config.rateLimits.signIn.points;
    for (let i = 0; i < limit; i++) {
      expect((await timedSignIn(Browser.inject(t.app), victim, `guess ${i}`)).res.status).toBe(401);
    }
    // Spellings that normalise to the victim's address share the spent budget.
    for (const same of ['OPS.ADMIN@EXAMPLE.COM', '  Ops.Admin@Example.com ']) {
      expect((await timedSignIn(Browser.inject(t.app), same, PASSWORD)).res.status, same).toBe(429);
    }
    // Spellings that some case mapping folds into it name no account, even with the right password.
    const traps = [
      'ops.adm\u0130n@example.com', // İ: PostgreSQL's lower() makes it i here
      'OPS.ADM\u0130N@EXAMPLE.COM',
      'ops.adm\u0131n@example.com', // dotless ı
      'ops.admI\u0307n@example.com', // I + combining dot above
      '\uFF4Fps.admin@example.com', // fullwidth o
      'ops.admin@example.co\u1D0D', // small capital m
    ];
    for (const trap of traps) {
      const browser = Browser.inject(t.app);
      const { res } = await timedSignIn(browser, trap, PASSWORD);
      expect(res.status, JSON.stringify(trap)).toBe(401);
      expect(browser.cookies.has('latch_session'), JSON.stringify(trap)).toBe(false);
    }
  });

  it('stores emails normalised and looks them up exactly, never through lower()', async () => {
    await t.database.db.transaction(async (tx) =>
      t.app.services.identity.createUser(
        tx,
        { email: '  Mixed.Case@Example.COM ', passwordHash: await hashPassword(PASSWORD) },
        { ip: null, requestId: null },
        'test',
      ),
    );
    const rows = await t.database.db.execute<{ email: string }>(
      sql`SELECT email FROM users WHERE email ILIKE 'mixed.case@%'`,
    );
    expect(rows.rows.map((r) => r.email)).toEqual(['mixed.case@example.com']);
    expect((await passwordSignIn(Browser.inject(t.app), 'MIXED.case@example.com', PASSWORD)).status).toBe(
      303,
    );
    const kelvin = 'ops.\u212Aey@example.com'; // JavaScript lowers the Kelvin sign to k
    await expect(
      t.database.db.transaction((tx) =>
        t.app.services.identity.createUser(tx, { email: kelvin }, { ip: null, requestId: null }, 'test'),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses dev sign-in in production with DEV_MODE_ONLY, and shows no dev form', async () => {
    const browser = Browser.inject(t.app);
    const page = await browser.get('/login');
    expect(page.body).not.toContain('Dev sign-in');
    const res = await browser.post('/login', {
      ...hiddenFields(page.body, '/login'),
      method: 'dev',
      email: EMAIL,
    });
    expect(res.status).toBe(403);
    expect(res.body).toContain('DEV_MODE_ONLY');
    expect(browser.cookies.has('latch_session')).toBe(false);
  });
});

describe('CSRF', () => {
  it('refuses form posts whose token is missing, wrong, or sent cross-site', async () => {
    const browser = Browser.inject(t.app);
    const page = await browser.get('/login');
    const fields: Record<string, string> = {
      ...hiddenFields(page.body.slice(page.body.lastIndexOf('<form')), '/login'),
      email: EMAIL,
      password: PASSWORD,
    };
    const { csrf: _, ...withoutToken } = fields;
    for (const form of [withoutToken, { ...fields, csrf: 'A'.repeat(43) }]) {
      const res = await browser.post('/login', form);
      expect(res.status).toBe(403);
      expect(res.body).toContain('Form expired');
    }
    const fresh = Browser.inject(t.app);
    expect((await fresh.post('/login', fields)).status).toBe(403); // the cookie of another browser
    browser.extraHeaders = { 'sec-fetch-site': 'cross-site' };
    expect((await browser.post('/login', fields)).status).toBe(403);
    browser.extraHeaders = { 'sec-fetch-site': 'same-origin' };
    expect((await browser.post('/login', fields)).status).toBe(303);
    const logout = await browser.post('/logout', {});
    expect(logout.status).toBe(403);
  });
});

describe('CSRF token lifecycle', () => {
  const formToken = (page: { body: string }, action: string) => hiddenFields(page.body, action).csrf!;

  it('rotates the token at sign-in: the one from before no longer works, the cookie is replaced', async () => {
    const browser = Browser.inject(t.app);
    const before = formToken(await browser.get('/login'), '/login');
    const cookieBefore = browser.cookies.get('latch_csrf');
    expect(cookieBefore).toBe(before);
    expect((await passwordSignIn(browser, EMAIL, PASSWORD)).status).toBe(303);
    expect(browser.cookies.get('latch_csrf')).not.toBe(cookieBefore);
    const after = formToken(await browser.get('/login'), '/logout');
    expect(after).not.toBe(before);
    expect((await browser.post('/logout', { csrf: before })).status).toBe(403);
    expect((await browser.post('/logout', { csrf: after })).status).toBe(303);
  });

  it('binds the token to the session: another session, or a planted cookie pair, is refused', async () => {
    const alice = Browser.inject(t.app);
    const bob = Browser.inject(t.app);
    await passwordSignIn(alice, EMAIL, PASSWORD);
    await passwordSignIn(bob, EMAIL, PASSWORD);
    const aliceToken = formToken(await alice.get('/login'), '/logout');
    const bobToken = formToken(await bob.get('/login'), '/logout');
    expect(aliceToken).not.toBe(bobToken);
    // Bob's session with Alice's token: refused.
    expect((await bob.post('/logout', { csrf: aliceToken })).status).toBe(403);
    // A matching cookie and field the attacker chose (cookie tossing): no longer enough once signed in.
    const planted = 'P'.repeat(43);
    bob.cookies.set('latch_csrf', planted);
    expect((await bob.post('/logout', { csrf: planted })).status).toBe(403);
    expect(await t.app.services.identity.sessionUser(bob.cookies.get('latch_session'))).not.toBeNull();
    // A new sign-in in the same browser is a new session, with a new token.
    const again = { csrf: aliceToken, method: 'password', email: EMAIL, password: PASSWORD };
    expect((await alice.post('/login', again)).status).toBe(303);
    expect(formToken(await alice.get('/login'), '/logout')).not.toBe(aliceToken);
    expect((await alice.post('/logout', { csrf: aliceToken })).status).toBe(403);
  });
});

describe('cookies over HTTPS', () => {
  const https = useTestApp({ mode: 'production', publicUrl: 'https://latch.example' });
  it('uses __Host- cookies (Secure, Path=/, no Domain) for the session and the form token', async () => {
    await https.database.db.transaction(async (tx) =>
      https.app.services.identity.createUser(
        tx,
        { email: EMAIL, passwordHash: await hashPassword(PASSWORD) },
        { ip: null, requestId: null },
        'test',
      ),
    );
    const page = await https.app.inject({ url: '/login' });
    const csrfCookie = String(page.headers['set-cookie']);
    expect(csrfCookie).toMatch(/^__Host-latch_csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const browser = Browser.inject(https.app);
    const res = await passwordSignIn(browser, EMAIL, PASSWORD);
    expect(res.status).toBe(303);
    expect([...browser.cookies.keys()].sort()).toEqual(['__Host-latch_csrf', '__Host-latch_session']);
    expect(browser.cookies.has('latch_session')).toBe(false);
    const signedIn = await browser.get('/login');
    expect(signedIn.body).toContain(`signed in as <strong>${EMAIL}</strong>`);
    // A non-prefixed cookie (which any sibling host could set) is not read as the session.
    const session = browser.cookies.get('__Host-latch_session')!;
    const other = Browser.inject(https.app);
    other.cookies.set('latch_session', session);
    expect((await other.get('/login')).body).not.toContain('signed in as');
    expect((await browser.submit(signedIn, '/logout')).status).toBe(303);
  });
});

describe('after sign-in', () => {
  it('goes only to same-origin paths (no open redirect)', async () => {
    const cases: [string, string][] = [
      ['/device?user_code=BCDF-GHJK', '/device?user_code=BCDF-GHJK'],
      ['//evil.example/x', '/login'],
      ['/\\evil.example', '/login'],
      ['https://evil.example/', '/login'],
      ['javascript:alert(1)', '/login'],
      ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
      ['/\tevil', '/login'],
    ];
    for (const [next, expected] of cases) {
      const browser = Browser.inject(t.app);
      const page = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      const fields = hiddenFields(page.body, '/login');
      const res = await browser.post('/login', { ...fields, next, email: EMAIL, password: PASSWORD });
      expect(res.status, next).toBe(303);
      expect(res.location, next).toBe(expected);
      const again = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      if (expected === '/login') expect(again.status, next).toBe(200);
      else expect(again.location, next).toBe(expected);
    }
  });

  it('redirects a signed-in visitor only to same-origin paths, judged after normalisation', async () => {
    const browser = Browser.inject(t.app);
    await passwordSignIn(browser, EMAIL, PASSWORD);
    // [next as sent, where a signed-in GET /login goes (null: no redirect, the signed-in page)]
    const cases: [string, string | null][] = [
      ['/device', '/device'],
      ['/device?user_code=BCDF-GHJK', '/device?user_code=BCDF-GHJK'],
      ['/a/./b/../c?x=1#frag', '/a/c?x=1'],
      ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
      ['/caf\u00e9', '/caf%C3%A9'],
      ['/.//evil.example/', null],
      ['/..//evil.example/', null],
      ['/%2e//evil.example/', null],
      ['/%2E%2E//evil.example/', null],
      ['/.%2e//evil.example/', null],
      ['/a/..//evil.example', null],
      ['/a/b/../..//evil.example', null],
      ['/././/evil.example', null],
      ['//evil.example/x', null],
      ['///evil.example', null],
      ['/\\evil.example', null],
      ['/.\\/evil.example', null],
      ['/%5C/evil.example', '/%5C/evil.example'],
      ['https://evil.example/', null],
      ['http:/evil.example', null],
      ['javascript:alert(1)', null],
      [' /evil', null],
      ['/\tevil', null],
      ['/\t/evil.example', null],
      ['/\n/evil.example', null],
      ['/\u0000/evil.example', null],
      ['/\u200b/evil.example', null],
      ['/\u2028/evil.example', null],
      ['evil.example', null],
      ['', null],
      [`/${'a'.repeat(2001)}`, null],
    ];
    for (const [next, expected] of cases) {
      const res = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      if (expected === null) {
        expect(res.status, JSON.stringify(next)).toBe(200);
        expect(res.body, JSON.stringify(next)).toContain('Signed in');
      } else {
        expect(res.status, JSON.stringify(next)).toBe(302);
        expect(res.location, JSON.stringify(next)).toBe(expected);
      }
      // Whatever was accepted resolves to this origin in a browser.
      if (res.location) expect(new URL(res.location, 'https://latch.example').host).toBe('latch.example');
    }
  });

  it('signs out, ending the session on the server', async () => {
    const browser = Browser.inject(t.app);
    await passwordSignIn(browser, EMAIL, PASSWORD);
    const session = browser.cookies.get('latch_session')!;
    const page = await browser.get('/login');
    const res = await browser.submit(page, '/logout');
    expect(res.status).toBe(303);
    expect(browser.cookies.has('latch_session')).toBe(false);
    expect(await t.app.services.identity.sessionUser(session)).toBeNull();
  });

  it('sends the security headers on every page', async () => {
    const res = await t.app.inject({ url: '/login' });
    expect(res.headers).toMatchObject({
      'content-security-policy':
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http://127.0.0.1:*; base-uri 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it("links the dashboard's hashed stylesheet, served immutable, with no inline style or script", async () => {
    const res = await t.app.inject({ url: '/login' });
    const links = [...res.body.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^\/assets\/index-[\w-]+\.css$/);
    expect(res.body).not.toMatch(/<style|<script|\sstyle=/i);
    const css = await t.app.inject({ url: links[0]! });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toMatch(/immutable/);
    expect(css.body).toContain('main.page');
  });
});

describe('dev mode', () => {
  const dev = useTestApp({ mode: 'dev' });
  it('offers the dev sign-in form, which creates the user', async () => {
    const browser = Browser.inject(dev.app);
    const page = await browser.get('/login');
    expect(page.body).toContain('Dev sign-in');
    const res = await browser.submit(page, '/login', { email: 'New.Person@Example.com' });
    expect(res.status).toBe(303);
    expect((await browser.get('/login')).body).toContain('new.person@example.com');
  });
});
