import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setupDonePage } from '../../src/routes/web/pages.js';
import { useTestApp } from '../helpers/app.js';
import { Browser, hiddenFields, passwordSignIn } from './browser.js';

const t = useTestApp({ mode: 'production', publicUrl: 'http://127.0.0.1:7420' });
const PASSWORD = 'a long enough passphrase';

const pathOf = (link: string) => link.slice('http://127.0.0.1:7420'.length);

describe('first-owner setup', () => {
  it('refuses links that were never issued', async () => {
    for (const url of ['/setup', '/setup?token=nope', `/setup?token=${'A'.repeat(43)}`]) {
      const res = await Browser.inject(t.app).get(url);
      expect(res.status).toBe(404);
      expect(res.body).toContain('invalid, expired or already used');
    }
  });

  it('expires links after 24 hours', async () => {
    const link = (await t.app.services.identity.createSetupLink())!;
    t.clock.advance(24 * 3600_000 + 1000);
    expect((await Browser.inject(t.app).get(pathOf(link))).status).toBe(404);
  });

  it('creates the first owner once, from a single-use link, and then issues no more links', async () => {
    const link = await t.app.services.identity.createSetupLink();
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:7420\/setup\?token=[A-Za-z0-9_-]{43}$/);
    const stored = await t.database.db.execute(sql`SELECT * FROM setup_tokens`);
    expect(JSON.stringify(stored.rows)).not.toContain(new URL(link!).searchParams.get('token'));
    const spare = (await t.app.services.identity.createSetupLink())!;

    const browser = Browser.inject(t.app);
    const page = await browser.get(pathOf(link!));
    expect(page.status).toBe(200);
    expect(page.body).toContain('Create the first owner');

    const short = await browser.submit(page, '/setup', {
      email: 'boss@example.com',
      password: 'short',
      confirm: 'short',
    });
    expect(short.status).toBe(400);
    expect(short.body).toContain('at least 12 characters');
    const mismatch = await browser.submit(page, '/setup', {
      email: 'boss@example.com',
      password: PASSWORD,
      confirm: `${PASSWORD}!`,
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('do not match');
    const badEmail = await browser.submit(page, '/setup', {
      email: 'boss',
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(badEmail.status).toBe(400);

    const done = await browser.submit(page, '/setup', {
      email: 'Boss@Example.com',
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Setup complete');
    expect(done.body).toContain('Next, in a terminal: <code>latch login</code>.');
    expect(browser.cookies.get('latch_session')).toBeTruthy();
    expect((await browser.get('/login')).body).toContain('boss@example.com');

    // The owner owns a personal org and can sign in with the password.
    const orgs = await t.database.db.execute<{ role: string }>(
      sql`SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'boss@example.com'`,
    );
    expect(orgs.rows).toEqual([{ role: 'owner' }]);
    expect((await passwordSignIn(Browser.inject(t.app), 'boss@example.com', PASSWORD)).status).toBe(303);

    // Signing in replaced the form token: the page from before it no longer passes the CSRF check.
    const second = { email: 'second@example.com', password: PASSWORD, confirm: PASSWORD };
    expect((await browser.submit(page, '/setup', second)).status).toBe(403);
    // Single use, and no other link works once a user exists.
    const other = Browser.inject(t.app);
    const { csrf } = hiddenFields((await other.get('/login')).body, '/login');
    const reuse = await other.post('/setup', {
      ...second,
      csrf: csrf!,
      token: hiddenFields(page.body, '/setup').token!,
    });
    expect(reuse.status).toBe(404);
    expect((await Browser.inject(t.app).get(pathOf(link!))).status).toBe(404);
    expect((await Browser.inject(t.app).get(pathOf(spare))).status).toBe(404);
    expect(await t.app.services.identity.createSetupLink()).toBeNull();
    const users = await t.database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM users`);
    expect(users.rows[0]!.n).toBe(1);

    const audit = await t.database.db.execute<{ action: string }>(
      sql`SELECT action FROM audit_events ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual(
      expect.arrayContaining(['user.created', 'server.setup_completed', 'user.signed_in']),
    );
    expect(JSON.stringify(audit.rows)).not.toContain(PASSWORD);
  });
});

describe('first-owner setup under concurrency', () => {
  const fresh = useTestApp({ mode: 'production' });
  it('creates exactly one owner when two links are used at the same moment', async () => {
    const links = await Promise.all([
      fresh.app.services.identity.createSetupLink(),
      fresh.app.services.identity.createSetupLink(),
    ]);
    const meta = { ip: null, requestId: null };
    const results = await Promise.allSettled(
      links.map((link, i) =>
        fresh.app.services.identity.completeSetup(
          new URL(link!).searchParams.get('token')!,
          `owner${i}@example.com`,
          PASSWORD,
          meta,
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'NOT_FOUND' } });
    const users = await fresh.database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM users`);
    expect(users.rows[0]!.n).toBe(1);
  });
});

describe('the setup-complete page', () => {
  it('names the server in the login command when it is not the CLI default', () => {
    expect(
      setupDonePage({ email: 'a@example.com', publicUrl: 'https://latch.example.com' }).__html,
    ).toContain('<code>latch login --api-url https://latch.example.com</code>');
    expect(setupDonePage({ email: 'a@example.com', publicUrl: 'http://127.0.0.1:7420' }).__html).toContain(
      '<code>latch login</code>',
    );
  });
});
