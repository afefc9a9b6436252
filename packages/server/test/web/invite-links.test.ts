import { createHash } from 'node:crypto';
import { DAY, generateToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/services/identity/passwords.js';
import type { TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { MAIL_PUBLIC_URL, useMailApps } from '../helpers/mail-apps.js';
import { linkIn } from '../helpers/smtp.js';
import { auditRows, call, createOrg } from '../members/fixtures.js';
import { Browser, hiddenFields, passwordSignIn } from './browser.js';

const PUBLIC = MAIL_PUBLIC_URL;
const PASSWORD = 'correct horse battery staple';
const db = useTestDatabase();
/** `noMail`: the same server without a mail server, so links are handed to the inviter instead. */
const { smtp, t, noMail } = useMailApps(db);

let people = 0;
const newEmail = (name: string) => `${name}${++people}-${Date.now()}@example.com`;
const pathOf = (link: string) => link.slice(PUBLIC.length);

async function invite(app: TestApp, ownerToken: string, orgId: string, email: string, role = 'developer') {
  const res = await call(app, ownerToken, 'POST', `/api/v1/orgs/${orgId}/invitations`, { email, role });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Invites by email and returns the link as the invited person receives it. */
async function invitedByMail(email: string, role = 'developer') {
  const owner = await t.signUp();
  const org = await createOrg(t, owner);
  const invitation = await invite(t, owner.token, org.id, email, role);
  const mail = await smtp.nextMailTo(email);
  return { owner, org, invitation, mail, link: linkIn(mail, `${PUBLIC}/invite/`) };
}

describe('invitation links', () => {
  it('emails a single-use link; a new person signs up with name and password and joins with the role', async () => {
    const email = newEmail('bob');
    const { owner, org, invitation, mail, link } = await invitedByMail(email, 'admin');
    // With a mail server the answer never carries the link: only the invitee's mailbox does.
    expect(invitation).toMatchObject({ email, role: 'admin', delivery: 'email', link: null });
    expect(mail.from).toBe('latch@example.com');
    expect(mail.subject).toContain(org.name);
    expect(mail.text).toContain(owner.email);
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:7420\/invite\/lk_inv_[A-Za-z0-9]{49}$/);

    // Only the token's SHA-256 is stored.
    const token = link.slice(`${PUBLIC}/invite/`.length);
    const stored = await t.database.db.execute(
      sql`SELECT encode(token_hash, 'hex') AS h FROM invitations WHERE id = ${invitation.id}`,
    );
    expect(stored.rows[0]).toEqual({ h: createHash('sha256').update(token).digest('hex') });

    const browser = Browser.inject(t.app);
    const page = await browser.get(pathOf(link));
    expect(page.status).toBe(200);
    expect(page.body).toContain(`Join ${org.name}`);
    expect(page.body).toContain('Create account and join');
    expect(page.body).not.toContain('Sign in with SSO');

    const form = (fields: Record<string, string>) => browser.submit(page, pathOf(link), fields);
    const tooShort = await form({ name: 'Bob', password: 'short', confirm: 'short' });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body).toContain('at least 12 characters');
    const withEmail = `my ${email} pass`;
    const containsEmail = await form({ name: 'Bob', password: withEmail, confirm: withEmail });
    expect(containsEmail.status).toBe(400);
    expect(containsEmail.body).toContain('must not contain your email');
    const namePart = `${email.split('@')[0]!.toUpperCase()}-secret!`;
    expect((await form({ name: 'Bob', password: namePart, confirm: namePart })).status).toBe(400);
    const mismatch = await form({ name: 'Bob', password: PASSWORD, confirm: `${PASSWORD}!` });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('do not match');
    expect((await form({ name: '  ', password: PASSWORD, confirm: PASSWORD })).status).toBe(400);

    const joined = await form({ name: 'Bob Builder', password: PASSWORD, confirm: PASSWORD });
    expect(joined.status, joined.body).toBe(200);
    expect(joined.body).toContain(`Welcome to ${org.name}`);
    expect(joined.body).toContain(`latch login --api-url ${PUBLIC}`);

    const user = await t.database.db.execute(
      sql`SELECT u.name, u.password_hash, m.role FROM users u JOIN memberships m ON m.user_id = u.id
          WHERE u.email = ${email} AND m.org_id = ${org.id}`,
    );
    expect(user.rows[0]).toMatchObject({ name: 'Bob Builder', role: 'admin' });
    expect(String((user.rows[0] as { password_hash: string }).password_hash)).toMatch(/^\$argon2id\$/);

    // Signed in by the sign-up, and the password works for later sign-ins.
    expect((await browser.get('/login')).body).toContain(`signed in as <strong>${email}</strong>`);
    const later = await passwordSignIn(Browser.inject(t.app), email, PASSWORD);
    expect(later.status).toBe(303);

    // Single use: the same link now says so, for anyone.
    const again = await Browser.inject(t.app).get(pathOf(link));
    expect(again.status).toBe(410);
    expect(again.body).toContain('already used');

    const audit = await auditRows(t, org.id);
    expect(audit.map((a) => a.action)).toEqual(['org.created', 'invitation.created', 'invitation.accepted']);
    expect(audit[2]!.data).toMatchObject({ via: 'link', role: 'admin' });
    const everything = await t.database.db.execute(sql`SELECT * FROM audit_events`);
    expect(JSON.stringify(everything.rows)).not.toContain(token);
  });

  it('without a mail server answers with the link once and never stores or lists it', async () => {
    const owner = await noMail.signUp();
    const org = await createOrg(noMail, owner);
    const email = newEmail('carol');
    const invitation = await invite(noMail, owner.token, org.id, email);
    expect(invitation.delivery).toBe('link');
    expect(invitation.link).toMatch(/^http:\/\/127\.0\.0\.1:7420\/invite\/lk_inv_/);

    const listed = await call(noMail, owner.token, 'GET', `/api/v1/orgs/${org.id}/invitations`);
    expect(listed.body).not.toContain('lk_inv_');
    expect(listed.json().items[0]).not.toHaveProperty('link');
    const rows = await noMail.database.db.execute(sql`SELECT * FROM invitations WHERE id = ${invitation.id}`);
    expect(JSON.stringify(rows.rows)).not.toContain(invitation.link.split('/').pop());

    const page = await Browser.inject(noMail.app).get(pathOf(invitation.link));
    expect(page.status).toBe(200);
    expect(page.body).toContain('Create account and join');
  });

  it('shows a clear page for expired and revoked links, and refuses to use them', async () => {
    const expiring = await invitedByMail(newEmail('dave'));
    const revoked = await invitedByMail(newEmail('erin'));

    const del = await call(
      t,
      revoked.owner.token,
      'DELETE',
      `/api/v1/orgs/${revoked.org.id}/invitations/${revoked.invitation.id}`,
    );
    expect(del.statusCode).toBe(200);
    const browser = Browser.inject(t.app);
    const revokedPage = await browser.get(pathOf(revoked.link));
    expect(revokedPage.status).toBe(410);
    expect(revokedPage.body).toContain('Invitation revoked');
    expect(revokedPage.body).toContain(`Ask an owner or admin of ${revoked.org.name}`);

    // A form loaded before expiry cannot be sent after it.
    const open = await browser.get(pathOf(expiring.link));
    expect(open.status).toBe(200);
    t.clock.advance(7 * DAY + 1000);
    try {
      const expiredPage = await Browser.inject(t.app).get(pathOf(expiring.link));
      expect(expiredPage.status).toBe(410);
      expect(expiredPage.body).toContain('Invitation expired');
      const late = await browser.submit(open, pathOf(expiring.link), {
        name: 'Dave',
        password: PASSWORD,
        confirm: PASSWORD,
      });
      expect(late.status).toBe(410);
      const users = await t.database.db.execute(
        sql`SELECT 1 FROM users WHERE email = ${expiring.invitation.email}`,
      );
      expect(users.rows).toEqual([]);
    } finally {
      t.clock.advance(-(7 * DAY + 1000));
    }
  });

  it('answers a malformed token 400 with a code and hint, and an unknown one 404', async () => {
    const browser = Browser.inject(t.app);
    const valid = generateToken('lk_inv_');
    for (const bad of [
      'nope',
      // a changed last character (never the same one: that would be the valid token)
      `${valid.slice(0, -1)}${valid.endsWith('x') ? 'y' : 'x'}`,
      valid.slice(0, 30),
      generateToken('lk_rst_'),
      generateToken('lk_pat_'),
    ]) {
      const res = await browser.get(`/invite/${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(res.body).toContain('INVALID_INPUT');
      expect(res.body).toContain('Open the link exactly as it was sent');
    }
    const unknown = await browser.get(`/invite/${valid}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('does not exist');
    expect(unknown.body).not.toContain(valid);
  });

  it('rate limits guessing: unknown or malformed links spend the per-address sign-in budget', async () => {
    const browser = Browser.inject(t.app);
    const budget = t.config.rateLimits.signIn.points;
    for (let i = 0; i < budget; i++) {
      const res = await browser.get(`/invite/${i % 2 ? generateToken('lk_inv_') : 'garbage'}`);
      expect(res.status).toBeLessThan(429);
    }
    const limited = await browser.get(`/invite/${generateToken('lk_inv_')}`);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    // Another address is unaffected, and a real link still opens there.
    const { link } = await invitedByMail(newEmail('ivy'));
    expect((await Browser.inject(t.app).get(pathOf(link))).status).toBe(200);
  });

  it('a person with an account signs in and accepts; someone else signed in cannot', async () => {
    const email = newEmail('frank');
    const passwordHash = await hashPassword(PASSWORD);
    await t.database.db.transaction((tx) =>
      t.app.services.identity.createUser(tx, { email, passwordHash }, { ip: null, requestId: null }, 'test'),
    );
    const { org, link } = await invitedByMail(email, 'viewer');

    // Signed in as another person: told so, and the link stays unused.
    const other = Browser.inject(t.app);
    const otherEmail = newEmail('mallory');
    await t.database.db.transaction((tx) =>
      t.app.services.identity.createUser(
        tx,
        { email: otherEmail, passwordHash },
        { ip: null, requestId: null },
        'test',
      ),
    );
    await passwordSignIn(other, otherEmail, PASSWORD);
    const wrong = await other.get(pathOf(link));
    expect(wrong.body).toContain(`signed in as\n<strong>${otherEmail}</strong>`);
    const forced = await other.post(pathOf(link), {
      csrf: hiddenFields(wrong.body, '/logout').csrf!,
      intent: 'accept',
    });
    expect(forced.status).toBe(403);

    const browser = Browser.inject(t.app);
    const anonymous = await browser.get(pathOf(link));
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toContain('Sign in to accept the invitation');
    expect(anonymous.body).not.toContain('Create account');
    // Signing up again for an existing account is refused even if the form is forged.
    const forged = await browser.post(pathOf(link), {
      csrf: hiddenFields((await browser.get('/login')).body, '/login').csrf!,
      intent: 'signup',
      name: 'x',
      password: PASSWORD,
      confirm: PASSWORD,
    });
    expect(forged.status).toBe(409);

    const login = await browser.get(`/login?next=${encodeURIComponent(pathOf(link))}`);
    const signedIn = await browser.submit(login, '/login', { method: 'password', email, password: PASSWORD });
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe(pathOf(link));
    const acceptPage = await browser.get(signedIn.location!);
    expect(acceptPage.body).toContain(`Join ${org.name}</button>`);
    const joined = await browser.submit(acceptPage, pathOf(link));
    expect(joined.status, joined.body).toBe(200);
    const member = await t.database.db.execute(
      sql`SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = ${email} AND m.org_id = ${org.id}`,
    );
    expect(member.rows).toEqual([{ role: 'viewer' }]);
    expect((await browser.submit(acceptPage, pathOf(link))).status).toBe(410);
  });

  it('two sign-ups from one link at the same moment: exactly one account joins', async () => {
    const { link, invitation } = await invitedByMail(newEmail('gina'));
    const a = Browser.inject(t.app);
    const b = Browser.inject(t.app);
    const [pa, pb] = await Promise.all([a.get(pathOf(link)), b.get(pathOf(link))]);
    const fields = { name: 'Gina', password: PASSWORD, confirm: PASSWORD };
    const results = await Promise.all([
      a.submit(pa, pathOf(link), fields),
      b.submit(pb, pathOf(link), fields),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 410].sort());
    const users = await t.database.db.execute(sql`SELECT 1 FROM users WHERE email = ${invitation.email}`);
    expect(users.rows).toHaveLength(1);
  });

  it('when the mail server refuses the message: 503, nothing usable left behind, inviting again works', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const email = newEmail('henry');
    smtp.refuse(true);
    try {
      const res = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/invitations`, {
        email,
        role: 'developer',
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        hint: expect.stringContaining('LATCH_SMTP_URL'),
      });
      expect(res.body).not.toContain('lk_inv_');
    } finally {
      smtp.refuse(false);
    }
    const pending = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/invitations`);
    expect(pending.json().items).toEqual([]);
    await invite(t, owner.token, org.id, email);
    expect(linkIn(await smtp.nextMailTo(email), `${PUBLIC}/invite/`)).toContain('lk_inv_');
  });
});
