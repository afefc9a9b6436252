import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { signInAtIdp } from '../helpers/oidc-provider.js';
import { useSsoApps } from '../helpers/sso-apps.js';
import { call } from '../members/fixtures.js';
import { Browser } from '../web/browser.js';

const PUBLIC_URL = 'http://127.0.0.1:7421';
const db = useTestDatabase();
// strict: LATCH_OIDC_ALLOW_SIGNUP off; open: sign-up allowed.
const { idp, strict, open } = useSsoApps(db, PUBLIC_URL, {
  'invitee-sub': { email: 'invitee@example.com', email_verified: true, name: 'Invi Tee' },
  'other-sub': { email: 'other@example.com', email_verified: true },
  'twin-sub': { email: 'twin@example.com', email_verified: true },
});

/** Up to the provider's redirect back: the callback URL, not yet opened, and the browser holding its state. */
async function ssoUntilCallback(app: TestApp, from: string, login: string) {
  const latch = Browser.inject(app.app);
  const page = await latch.get(from);
  const href = /href="(\/sso\/start[^"]*)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&');
  expect(href, `${from} offers SSO`).toBeTruthy();
  const start = await latch.get(href!);
  expect(start.status).toBe(303);
  const back = await signInAtIdp(Browser.fetch(idp.issuer), start.location!, login);
  return { latch, back };
}

async function inviteLink(app: TestApp, email: string): Promise<string> {
  const owner = await app.signUp();
  const invited = await call(app, owner.token, 'POST', `/api/v1/orgs/${owner.personalOrgId}/invitations`, {
    email,
  });
  expect(invited.statusCode, invited.body).toBe(201);
  return new URL(invited.json().link).pathname;
}

const usersNamed = async (email: string) =>
  (await db.database.db.execute(sql`SELECT id FROM users WHERE email = ${email}`)).rows;

describe('SSO sign-up through an invitation', () => {
  it('creates the invited account from the invitation page even with sign-up off, and comes back to accept', async () => {
    const path = await inviteLink(strict, 'invitee@example.com');
    const { latch, back } = await ssoUntilCallback(strict, path, 'invitee-sub');
    const callback = await latch.get(back);
    expect(callback.status, callback.body).toBe(303);
    expect(callback.location).toBe(path);
    const page = await latch.get(path);
    expect(page.body).toContain('name="intent" value="accept"');
    expect(await usersNamed('invitee@example.com')).toHaveLength(1);
  });

  it('allows only the invited email: another identity from the same invitation page gets no account', async () => {
    const path = await inviteLink(strict, 'someone@example.com');
    const { latch, back } = await ssoUntilCallback(strict, path, 'other-sub');
    const callback = await latch.get(back);
    expect(callback.status).toBe(403);
    expect(callback.body).toContain('There is no Latchkey account for other@example.com');
    expect(await usersNamed('other@example.com')).toHaveLength(0);
  });

  it('a revoked invitation allows nothing', async () => {
    const owner = await strict.signUp();
    const invited = await call(
      strict,
      owner.token,
      'POST',
      `/api/v1/orgs/${owner.personalOrgId}/invitations`,
      {
        email: 'other@example.com',
      },
    );
    const path = new URL(invited.json().link).pathname;
    const { latch, back } = await ssoUntilCallback(strict, path, 'other-sub');
    expect(
      (
        await call(
          strict,
          owner.token,
          'DELETE',
          `/api/v1/orgs/${owner.personalOrgId}/invitations/${invited.json().id}`,
        )
      ).statusCode,
    ).toBe(200);
    expect((await latch.get(back)).status).toBe(403);
    expect(await usersNamed('other@example.com')).toHaveLength(0);
  });
});

describe('two first sign-ins of one new identity at once', () => {
  it('make one user and one link; both succeed', async () => {
    const a = await ssoUntilCallback(open, '/login', 'twin-sub');
    const b = await ssoUntilCallback(open, '/login', 'twin-sub');
    const [ra, rb] = await Promise.all([a.latch.get(a.back), b.latch.get(b.back)]);
    expect([ra.status, rb.status], `${ra.body} ${rb.body}`).toEqual([303, 303]);
    expect(await usersNamed('twin@example.com')).toHaveLength(1);
    const links = await db.database.db.execute(sql`SELECT 1 FROM identity_links WHERE subject = 'twin-sub'`);
    expect(links.rows).toHaveLength(1);
    for (const browser of [a.latch, b.latch]) {
      expect((await browser.get('/login')).body).toContain('signed in as <strong>twin@example.com</strong>');
    }
  });
});
