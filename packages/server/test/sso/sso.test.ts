import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { signInAtIdp } from '../helpers/oidc-provider.js';
import { useSsoApps } from '../helpers/sso-apps.js';
import { Browser } from '../web/browser.js';

const PUBLIC_URL = 'http://127.0.0.1:7420';
const db = useTestDatabase();
// strict: existing accounts only; open: sign-up allowed for example.com.
const { idp, strict, open } = useSsoApps(
  db,
  PUBLIC_URL,
  {
    'alice-sub': { email: 'Alice@Example.com', email_verified: true, name: 'Alice' },
    'mallory-sub': { email: 'alice@example.com', email_verified: false },
    'newbie-sub': { email: 'newbie@example.com', email_verified: true, name: 'New Bie' },
    'outsider-sub': { email: 'outsider@elsewhere.org', email_verified: true },
  },
  { allowSignup: true, allowedDomains: ['example.com'] },
);

beforeAll(async () => {
  await db.database.db.transaction((tx) =>
    strict.app.services.identity.createUser(
      tx,
      { email: 'alice@example.com' },
      { ip: null, requestId: null },
      'test',
    ),
  );
});

/** The whole browser round trip: Latchkey's button, the provider's pages, Latchkey's callback. */
async function ssoSignIn(app: TestApp, login: string, next?: string) {
  const latch = Browser.inject(app.app);
  const page = await latch.get(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  const href = /href="(\/sso\/start[^"]*)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&');
  expect(href, 'the sign-in page offers SSO').toBeTruthy();
  const start = await latch.get(href!);
  expect(start.status).toBe(303);
  const authorize = new URL(start.location!);
  const back = await signInAtIdp(Browser.fetch(idp.issuer), authorize.href, login);
  const callback = await latch.get(back);
  return { latch, authorize, callback };
}

const links = async () =>
  (
    await db.database.db.execute<{ user_id: string; subject: string; email: string }>(
      sql`SELECT user_id, subject, email FROM identity_links ORDER BY created_at`,
    )
  ).rows;

describe('sign in with SSO', () => {
  it('runs the code flow with PKCE S256, state and nonce, links by verified email and signs in', async () => {
    const { latch, authorize, callback } = await ssoSignIn(strict, 'alice-sub');
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/sso/callback`);
    expect(callback.status).toBe(303);
    expect(callback.location).toBe('/login');
    expect((await latch.get('/login')).body).toContain('signed in as <strong>alice@example.com</strong>');
    const alice = (await links()).filter((l) => l.subject === 'alice-sub');
    expect(alice).toHaveLength(1);
    const audit = await db.database.db.execute<{ action: string; data: { via?: string } }>(
      sql`SELECT action, data FROM audit_events WHERE action IN ('identity.linked', 'user.signed_in') ORDER BY id`,
    );
    expect(audit.rows.map((r) => `${r.action}:${r.data.via}`)).toEqual([
      'identity.linked:email',
      'user.signed_in:sso',
    ]);
  });

  it('signs in again by subject, without a second link', async () => {
    const { callback } = await ssoSignIn(strict, 'alice-sub');
    expect(callback.status).toBe(303);
    expect((await links()).filter((l) => l.subject === 'alice-sub')).toHaveLength(1);
  });

  it('refuses an unverified email that names an existing account', async () => {
    const { callback } = await ssoSignIn(strict, 'mallory-sub');
    expect(callback.status).toBe(403);
    expect(callback.body).toContain('did not confirm a verified email');
    expect(callback.body).toContain('PERMISSION_DENIED');
    expect((await links()).some((l) => l.subject === 'mallory-sub')).toBe(false);
  });

  it('creates no account when sign-up is off', async () => {
    const { callback } = await ssoSignIn(strict, 'newbie-sub');
    expect(callback.status).toBe(403);
    expect(callback.body).toContain('There is no Latchkey account for newbie@example.com');
    expect(callback.body).toContain('invite you');
    const users = await db.database.db.execute(sql`SELECT 1 FROM users WHERE email = 'newbie@example.com'`);
    expect(users.rows).toHaveLength(0);
  });

  it('creates the account and its personal org on first sign-in when sign-up is allowed for the domain', async () => {
    const { latch, callback } = await ssoSignIn(open, 'newbie-sub');
    expect(callback.status).toBe(303);
    expect((await latch.get('/login')).body).toContain('signed in as <strong>newbie@example.com</strong>');
    const rows = await db.database.db.execute<{ name: string; orgs: number }>(
      sql`SELECT u.name, (SELECT count(*)::int FROM orgs o WHERE o.personal_for = u.id) AS orgs
            FROM users u WHERE u.email = 'newbie@example.com'`,
    );
    expect(rows.rows).toEqual([{ name: 'New Bie', orgs: 1 }]);
  });

  it('refuses sign-up for an email domain outside the allowed list', async () => {
    const { callback } = await ssoSignIn(open, 'outsider-sub');
    expect(callback.status).toBe(403);
    const users = await db.database.db.execute(
      sql`SELECT 1 FROM users WHERE email = 'outsider@elsewhere.org'`,
    );
    expect(users.rows).toHaveLength(0);
  });

  it('keeps the CLI sign-in going: /oauth/authorize → sign-in page → SSO → consent', async () => {
    const authorize = `/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: 'latch-cli',
      redirect_uri: 'http://127.0.0.1:53682/callback',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'st-123',
      device_name: 'alice-mbp',
    })}`;
    const latch = Browser.inject(strict.app);
    const toLogin = await latch.get(authorize);
    expect(toLogin.status).toBe(302);
    const next = new URL(toLogin.location!, PUBLIC_URL).searchParams.get('next')!;
    expect(next).toBe(authorize);
    const { latch: signedIn, callback } = await ssoSignIn(strict, 'alice-sub', next);
    expect(callback.location).toBe(authorize);
    const consent = await signedIn.get(callback.location!);
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('Sign in to');
    expect(consent.body).toContain('alice-mbp');
  });

  it('refuses a callback whose state this browser did not start, and a replayed one', async () => {
    const latch = Browser.inject(strict.app);
    const start = await latch.get('/sso/start');
    const back = await signInAtIdp(Browser.fetch(idp.issuer), start.location!, 'alice-sub');
    const stranger = await Browser.inject(strict.app).get(back);
    expect(stranger.status).toBe(401);
    expect(stranger.body).toContain('not started in this browser');
    const first = await latch.get(back);
    expect(first.status).toBe(303);
    // The state cookie is gone and the request used: the same answer again signs nobody in.
    latch.cookies.set('latch_sso', new URL(back, PUBLIC_URL).searchParams.get('state')!);
    const replay = await latch.get(back);
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('expired or was already used');
  });

  it('refuses an expired sign-in (the injected clock, 10 minutes on)', async () => {
    const latch = Browser.inject(strict.app);
    const start = await latch.get('/sso/start');
    const back = await signInAtIdp(Browser.fetch(idp.issuer), start.location!, 'alice-sub');
    strict.clock.advance(11 * 60_000);
    try {
      const late = await latch.get(back);
      expect(late.status).toBe(401);
      expect(late.body).toContain('expired');
    } finally {
      strict.clock.advance(-11 * 60_000);
    }
  });

  it('keeps next on this server only', async () => {
    const latch = Browser.inject(strict.app);
    await latch.get('/sso/start?next=%2F%2Fevil.example%2Fx');
    const rows = await db.database.db.execute<{ next: string | null }>(
      sql`SELECT next FROM sso_requests ORDER BY created_at DESC LIMIT 1`,
    );
    expect(rows.rows[0]!.next).toBeNull();
  });

  it('answers 404 with a hint when SSO is not set up, and shows no button', async () => {
    const plain = await createTestApp(db.database, { mode: 'production', publicUrl: PUBLIC_URL });
    try {
      const browser = Browser.inject(plain.app);
      expect((await browser.get('/login')).body).not.toContain('Sign in with SSO');
      const res = await browser.get('/sso/start');
      expect(res.status).toBe(404);
      expect(res.body).toContain('LATCH_OIDC_ISSUER');
    } finally {
      await plain.app.close();
    }
  });

  it('answers 503 with a hint when the provider cannot be reached', async () => {
    const down = await createTestApp(db.database, {
      mode: 'production',
      publicUrl: PUBLIC_URL,
      oidc: idp.settings({ issuer: 'http://127.0.0.1:9' }),
    });
    try {
      const res = await Browser.inject(down.app).get('/sso/start');
      expect(res.status).toBe(503);
      expect(res.body).toContain('could not be reached');
      expect(res.body).toContain('SERVICE_UNAVAILABLE');
    } finally {
      await down.app.close();
    }
  });

  it('shows the button next to dev sign-in and password sign-in', async () => {
    const page = await Browser.inject(strict.app).get('/login?next=%2Fdevice');
    expect(page.body).toContain('href="/sso/start?next=%2Fdevice"');
    expect(page.body).toContain('Sign in with SSO');
  });
});

describe('identity links on /api/v1/me/identities', () => {
  it("lists the caller's own links and removes one; the next SSO sign-in links again", async () => {
    const alice = await db.database.db.execute<{ id: string }>(
      sql`SELECT id FROM users WHERE email = 'alice@example.com'`,
    );
    const userId = alice.rows[0]!.id;
    const pat = await db.database.db.transaction((tx) =>
      strict.app.services.tokens.issuePat(tx, { type: 'user', id: userId, label: 'alice' }, userId, {
        name: 'test',
        via: 'test',
      }),
    );
    const auth = { authorization: `Bearer ${pat.token}` };
    const list = await strict.app.inject({ url: '/api/v1/me/identities', headers: auth });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as { id: string; issuer: string; subject: string; email: string }[];
    expect(items).toEqual([
      expect.objectContaining({ issuer: idp.issuer, subject: 'alice-sub', email: 'alice@example.com' }),
    ]);

    // Another person cannot see or remove it: 404, as for a missing one.
    const bob = await strict.signUp();
    const theirs = await strict.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/identities/${items[0]!.id}`,
      headers: strict.auth(bob.token),
    });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.hint).toContain('latch auth identities');
    expect(
      (await strict.app.inject({ url: '/api/v1/me/identities', headers: strict.auth(bob.token) })).json()
        .items,
    ).toEqual([]);

    const removed = await strict.app.inject({
      method: 'DELETE',
      url: `/api/v1/me/identities/${items[0]!.id}`,
      headers: auth,
    });
    expect(removed.statusCode).toBe(200);
    expect((await strict.app.inject({ url: '/api/v1/me/identities', headers: auth })).json().items).toEqual(
      [],
    );
    const audit = await db.database.db.execute(
      sql`SELECT 1 FROM audit_events WHERE action = 'identity.unlinked'`,
    );
    expect(audit.rows).toHaveLength(1);
    // Removing a link does not lock the person out: a verified email links again on the next sign-in.
    const { callback } = await ssoSignIn(strict, 'alice-sub');
    expect(callback.status).toBe(303);
    expect((await links()).filter((l) => l.subject === 'alice-sub')).toHaveLength(1);
  });

  it('refuses a malformed id with 400', async () => {
    const bob = await strict.signUp();
    const res = await strict.app.inject({
      method: 'DELETE',
      url: '/api/v1/me/identities/not%20an%20id',
      headers: strict.auth(bob.token),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_INPUT');
  });
});
