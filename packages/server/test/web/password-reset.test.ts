import { generateToken, HOUR } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createOperatorResetLink } from '../../src/services/identity/password-reset.service.js';
import { hashPassword } from '../../src/services/identity/passwords.js';
import { useTestDatabase } from '../helpers/db.js';
import { MAIL_PUBLIC_URL, useMailApps } from '../helpers/mail-apps.js';
import { linkIn } from '../helpers/smtp.js';
import { Browser, passwordSignIn } from './browser.js';

const PUBLIC = MAIL_PUBLIC_URL;
const OLD = 'the old passphrase here';
const NEW = 'a brand new passphrase';
const db = useTestDatabase();
const { smtp, t, noMail } = useMailApps(db);

let people = 0;
async function account(name: string) {
  const email = `${name}${++people}-${Date.now()}@example.com`;
  const passwordHash = await hashPassword(OLD);
  const user = await t.database.db.transaction((tx) =>
    t.app.services.identity.createUser(tx, { email, passwordHash }, { ip: null, requestId: null }, 'test'),
  );
  return { email, id: user.id };
}
const pathOf = (link: string) => link.slice(PUBLIC.length);

async function askForLink(browser: Browser, email: string) {
  const form = await browser.get('/reset-password');
  expect(form.status).toBe(200);
  return browser.submit(form, '/reset-password', { email });
}

describe('password reset', () => {
  it('by emailed link: sets the new password once, signs out other browsers, signs in', async () => {
    const { email } = await account('ann');
    const elsewhere = Browser.inject(t.app);
    await passwordSignIn(elsewhere, email, OLD);
    expect((await elsewhere.get('/login')).body).toContain('Signed in');

    const login = await Browser.inject(t.app).get('/login');
    expect(login.body).toContain('href="/reset-password"');

    const browser = Browser.inject(t.app);
    const sent = await askForLink(browser, email);
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('Check your email');
    const mail = await smtp.nextMailTo(email);
    expect(mail.subject).toBe('Reset your Latchkey password');
    const link = linkIn(mail, `${PUBLIC}/reset-password/`);
    expect(link).toMatch(/\/reset-password\/lk_rst_[A-Za-z0-9]{49}$/);
    const stored = await t.database.db.execute(sql`SELECT * FROM password_resets`);
    expect(JSON.stringify(stored.rows)).not.toContain(link.split('/').pop());

    const page = await browser.get(pathOf(link));
    expect(page.status).toBe(200);
    expect(page.body).toContain(email);
    const weak = await browser.submit(page, pathOf(link), { password: `${email}!!`, confirm: `${email}!!` });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('must not contain your email');
    const mismatch = await browser.submit(page, pathOf(link), { password: NEW, confirm: `${NEW}.` });
    expect(mismatch.status).toBe(400);

    const done = await browser.submit(page, pathOf(link), { password: NEW, confirm: NEW });
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Password changed');
    expect((await browser.get('/login')).body).toContain(`signed in as <strong>${email}</strong>`);
    // The other browser's session ended with the reset.
    expect((await elsewhere.get('/login')).body).toContain('name="password"');

    expect((await passwordSignIn(Browser.inject(t.app), email, OLD)).status).toBe(401);
    expect((await passwordSignIn(Browser.inject(t.app), email, NEW)).status).toBe(303);
    const reused = await Browser.inject(t.app).get(pathOf(link));
    expect(reused.status).toBe(404);
    expect(reused.body).toContain('invalid, expired or already used');
  });

  it('answers an unknown email like a known one, and sends nothing', async () => {
    const before = smtp.received.length;
    const res = await askForLink(Browser.inject(t.app), `nobody-${Date.now()}@example.com`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('Check your email');
    const rows = await t.database.db.execute(sql`SELECT count(*)::int AS n FROM password_resets`);
    const known = await account('ben');
    await askForLink(Browser.inject(t.app), known.email);
    await smtp.nextMailTo(known.email);
    // Only the known address got a message and a stored reset.
    expect(smtp.received.length).toBe(before + 1);
    const after = await t.database.db.execute(sql`SELECT count(*)::int AS n FROM password_resets`);
    expect((after.rows[0] as { n: number }).n).toBe((rows.rows[0] as { n: number }).n + 1);
  });

  it('emailed links expire after an hour, and only the latest link works', async () => {
    const { email } = await account('cleo');
    await askForLink(Browser.inject(t.app), email);
    const first = linkIn(await smtp.nextMailTo(email), `${PUBLIC}/reset-password/`);
    await askForLink(Browser.inject(t.app), email);
    const second = linkIn(await smtp.nextMailTo(email), `${PUBLIC}/reset-password/`);
    expect((await Browser.inject(t.app).get(pathOf(first))).status).toBe(404);
    expect((await Browser.inject(t.app).get(pathOf(second))).status).toBe(200);
    t.clock.advance(HOUR + 1000);
    try {
      expect((await Browser.inject(t.app).get(pathOf(second))).status).toBe(404);
    } finally {
      t.clock.advance(-(HOUR + 1000));
    }
  });

  it('refuses malformed tokens with 400 and a hint', async () => {
    const reset = generateToken('lk_rst_');
    // a changed last character breaks the checksum (never the same character: that would be well formed)
    const typo = `${reset.slice(0, -1)}${reset.endsWith('0') ? '1' : '0'}`;
    for (const bad of ['nope', generateToken('lk_inv_'), typo]) {
      const res = await Browser.inject(t.app).get(`/reset-password/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body).toContain('INVALID_INPUT');
      expect(res.body).toContain('Open the link exactly as you received it');
    }
  });

  it('without a mail server: no emailed links, and the operator link works (latch server reset-password)', async () => {
    const { email } = await account('dan');
    const login = await Browser.inject(noMail.app).get('/login');
    expect(login.body).not.toContain('/reset-password');
    const ask = await Browser.inject(noMail.app).get('/reset-password');
    expect(ask.body).toContain('latch server reset-password');

    const issued = await createOperatorResetLink(
      noMail.database.db,
      noMail.clock,
      PUBLIC,
      email.toUpperCase(),
    );
    expect(issued.email).toBe(email);
    expect(issued.link).toMatch(/^http:\/\/127\.0\.0\.1:7420\/reset-password\/lk_rst_/);
    const browser = Browser.inject(noMail.app);
    const page = await browser.get(pathOf(issued.link));
    const done = await browser.submit(page, pathOf(issued.link), { password: NEW, confirm: NEW });
    expect(done.status).toBe(200);
    expect((await passwordSignIn(Browser.inject(noMail.app), email, NEW)).status).toBe(303);

    await expect(
      createOperatorResetLink(noMail.database.db, noMail.clock, PUBLIC, 'ghost@example.com'),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const audit = await noMail.database.db.execute(
      sql`SELECT action, actor_type, actor_label FROM audit_events WHERE action LIKE 'user.password_reset%' AND target_id = (SELECT id FROM users WHERE email = ${email}) ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      {
        action: 'user.password_reset_requested',
        actor_type: 'system',
        actor_label: 'latch server reset-password',
      },
      { action: 'user.password_reset', actor_type: 'user', actor_label: email },
    ]);
  });
});
