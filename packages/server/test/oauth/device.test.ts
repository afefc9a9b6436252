import { parseToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatUserCode,
  generateUserCode,
  normaliseUserCode,
  USER_CODE_ALPHABET,
} from '../../src/services/oauth/user-codes.js';
import { useTestApp } from '../helpers/app.js';
import { Browser, devSignIn } from '../web/browser.js';

const t = useTestApp();
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

async function startDevice(deviceName = 'build-box-7') {
  const res = await t.app.inject({
    method: 'POST',
    url: '/oauth/device/code',
    payload: new URLSearchParams({ client_id: 'latch-cli', device_name: deviceName }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    device_code: string;
    user_code: string;
    verification_uri_complete: string;
    interval: number;
  };
}

function poll(deviceCode: string) {
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: 'latch-cli' },
  });
}

/** Signs in through the pages and approves (or denies) the code, as a person would. */
async function decide(
  userCode: string,
  decision: 'approve' | 'deny',
  email = `dev-${Date.now()}@example.com`,
) {
  const browser = Browser.inject(t.app);
  await devSignIn(browser, email);
  const entry = await browser.get(`/device?user_code=${userCode}`);
  expect(entry.status).toBe(200);
  const confirm = await browser.submit(entry, '/device', { user_code: userCode });
  expect(confirm.status).toBe(200);
  const done = await browser.submit(confirm, '/device/approve', { decision });
  return { done, browser, email };
}

describe('user codes', () => {
  it('are always 8 letters from the alphabet, shown as XXXX-XXXX, and read back case- and dash-insensitively', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.boolean(), fc.boolean(), () => {
        const code = generateUserCode();
        expect(code).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{8}$`));
        const shown = formatUserCode(code);
        expect(shown).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
        expect(normaliseUserCode(shown)).toBe(code);
        expect(normaliseUserCode(shown.toLowerCase())).toBe(code);
        expect(normaliseUserCode(code.toLowerCase())).toBe(code);
        expect(normaliseUserCode(` ${shown.slice(0, 4)} ${shown.slice(5)} `)).toBe(code);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (input) => {
        const code = normaliseUserCode(input);
        if (code !== null) expect(code).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{8}$`));
      }),
    );
    for (const bad of ['AEIO-UBCD', 'BCDF-GHJ', 'BCDF-GHJKL', '', 'BCDF_GHJK'])
      expect(normaliseUserCode(bad)).toBeNull();
  });
});

describe('device authorization (RFC 8628)', () => {
  it('starts a grant with the documented shape', async () => {
    const res = await startDevice();
    expect(res).toMatchObject({ expires_in: 300, interval: 5 });
    expect(res.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(res.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res).toMatchObject({
      verification_uri: `${t.config.publicUrl}/device`,
      verification_uri_complete: `${t.config.publicUrl}/device?user_code=${res.user_code}`,
    });
    const stored = await t.database.db.execute(sql`SELECT * FROM device_grants`);
    expect(JSON.stringify(stored.rows)).not.toContain(res.device_code);
  });

  it('refuses unknown clients and a missing grant type', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/device/code',
      payload: { client_id: 'evil' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    const noGrant = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { client_id: 'latch-cli' },
    });
    expect(noGrant.json().error).toBe('invalid_request');
    const badGrant = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'password' },
    });
    expect(badGrant.json().error).toBe('unsupported_grant_type');
  });

  it('answers pending, slows down a client that polls too fast (+5 s each time), then issues a PAT once', async () => {
    const grant = await startDevice('ci-runner.local');
    const first = await poll(grant.device_code);
    expect(first.statusCode).toBe(400);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.json().error).toBe('authorization_pending');

    t.clock.advance(1000);
    expect((await poll(grant.device_code)).json().error).toBe('slow_down');
    t.clock.advance(6000); // enough for the old 5 s interval, not for the new 10 s
    expect((await poll(grant.device_code)).json().error).toBe('slow_down');
    const stored = await t.database.db.execute<{ interval_seconds: number }>(
      sql`SELECT interval_seconds FROM device_grants WHERE user_code = ${grant.user_code.replace('-', '')}`,
    );
    expect(stored.rows[0]!.interval_seconds).toBe(15);
    t.clock.advance(15_000);
    expect((await poll(grant.device_code)).json().error).toBe('authorization_pending');

    const { done } = await decide(grant.user_code, 'approve');
    expect(done.status).toBe(200);
    expect(done.body).toContain('Device approved');
    expect(done.body).toMatch(/return to your terminal/i);

    t.clock.advance(15_000);
    const ok = await poll(grant.device_code);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    const body = ok.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 120 * 86_400 });
    expect(parseToken(body.access_token)?.prefix).toBe('lk_pat_');

    const me = await t.app.inject({ url: '/api/v1/me', headers: t.auth(body.access_token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().token).toMatchObject({ name: 'ci-runner.local', kind: 'pat' });
    expect(Date.parse(me.json().token.expiresAt) - t.clock.now().getTime()).toBe(120 * 86_400_000);

    t.clock.advance(15_000);
    const again = await poll(grant.device_code);
    expect(again.statusCode).toBe(400);
    expect(again.json().error).toBe('invalid_grant');
  });

  it('names the PAT "latch CLI" when the machine gives no name', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/device/code',
      payload: { client_id: 'latch-cli' },
    });
    const grant = res.json();
    await decide(grant.user_code, 'approve');
    const token = (await poll(grant.device_code)).json().access_token;
    const me = await t.app.inject({ url: '/api/v1/me', headers: t.auth(token) });
    expect(me.json().token.name).toBe('latch CLI');
  });

  it('answers access_denied after Deny', async () => {
    const grant = await startDevice();
    const { done } = await decide(grant.user_code, 'deny');
    expect(done.body).toContain('Request denied');
    expect((await poll(grant.device_code)).json().error).toBe('access_denied');
  });

  it('expires after 300 seconds, even if approved too late', async () => {
    const grant = await startDevice();
    t.clock.advance(301_000);
    expect((await poll(grant.device_code)).json().error).toBe('expired_token');
    const browser = Browser.inject(t.app, { ip: '10.9.9.9' });
    await devSignIn(browser, 'late@example.com');
    const entry = await browser.get('/device');
    const res = await browser.submit(entry, '/device', { user_code: grant.user_code });
    expect(res.status).toBe(400);
    expect(res.body).toContain('not valid or has expired');
  });

  it('shows the client and the machine, and accepts the code in lower case without the dash', async () => {
    const grant = await startDevice('alice-laptop');
    const browser = Browser.inject(t.app);
    await devSignIn(browser, 'alice-device@example.com');
    const entry = await browser.get('/device');
    const confirm = await browser.submit(entry, '/device', {
      user_code: grant.user_code.replace('-', '').toLowerCase(),
    });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Latchkey CLI');
    expect(confirm.body).toContain('alice-laptop');
    expect(confirm.body).toContain(grant.user_code);
    expect(confirm.body).toContain('alice-device@example.com');
    // Looking the code up approves nothing: only the explicit Approve does.
    expect((await poll(grant.device_code)).json().error).toBe('authorization_pending');
  });

  it('escapes the machine name on the page', async () => {
    const grant = await startDevice('<script>alert(1)</script>');
    const browser = Browser.inject(t.app);
    await devSignIn(browser, 'escape@example.com');
    const confirm = await browser.submit(await browser.get('/device'), '/device', {
      user_code: grant.user_code,
    });
    expect(confirm.body).not.toContain('<script>');
    expect(confirm.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('sends a signed-out visitor to sign in first, and back with the code', async () => {
    const browser = Browser.inject(t.app);
    const res = await browser.get('/device?user_code=BCDF-GHJK');
    expect(res.status).toBe(302);
    expect(res.location).toBe(`/login?next=${encodeURIComponent('/device?user_code=BCDF-GHJK')}`);
    const signedIn = await devSignIn(browser, 'back@example.com', '/device?user_code=BCDF-GHJK');
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/device?user_code=BCDF-GHJK');
    const page = await browser.get(signedIn.location!);
    expect(page.body).toContain('value="BCDF-GHJK"');
  });

  it('rate limits wrong code entries per IP with a 429 page', async () => {
    const browser = Browser.inject(t.app, { ip: '10.1.2.3' });
    await devSignIn(browser, 'guesser@example.com');
    const entry = await browser.get('/device');
    const limit = t.config.rateLimits.deviceCodeEntry.points;
    for (let i = 0; i < limit; i++) {
      expect((await browser.submit(entry, '/device', { user_code: 'BCDF-BCDF' })).status).toBe(400);
    }
    const blocked = await browser.submit(entry, '/device', { user_code: 'BCDF-BCDF' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.body).toContain('Too many');
    // Even a right code waits: otherwise the limit would only slow down wrong guesses.
    const grant = await startDevice();
    expect((await browser.submit(entry, '/device', { user_code: grant.user_code })).status).toBe(429);
    // Another address is not affected.
    const other = Browser.inject(t.app, { ip: '10.1.2.4' });
    await devSignIn(other, 'other@example.com');
    expect(
      (await other.submit(await other.get('/device'), '/device', { user_code: grant.user_code })).status,
    ).toBe(200);
  });

  it('counts parallel wrong codes before looking them up: of 200 at once, at most the limit are checked', async () => {
    const browser = Browser.inject(t.app, { ip: '10.1.2.9' });
    await devSignIn(browser, 'parallel-guesser@example.com');
    const grant = await startDevice('parallel-box');
    const entry = await browser.get(`/device?user_code=${grant.user_code}`);
    const confirm = await browser.submit(entry, '/device', { user_code: grant.user_code });
    expect(confirm.status).toBe(200);
    const limit = t.config.rateLimits.deviceCodeEntry.points;
    const guesses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        browser.submit(confirm, '/device/approve', {
          decision: 'approve',
          user_code: `BCDF-${'BCDFGHJKLMNPQRSTVWXZ'[i % 20]!.repeat(4)}`,
        }),
      ),
    );
    const statuses = guesses.map((g) => g.status);
    const checked = statuses.filter((s) => s !== 429);
    expect(checked.length).toBeLessThanOrEqual(limit);
    expect(checked.every((s) => s === 404)).toBe(true);
    expect(statuses.filter((s) => s === 429)).toHaveLength(200 - checked.length);
    // The right code is refused too once the budget is spent, and the grant stays pending.
    expect((await browser.submit(confirm, '/device/approve', { decision: 'approve' })).status).toBe(429);
    expect((await poll(grant.device_code)).json().error).toBe('authorization_pending');
  });

  it('gives a right code its point back, so entering real codes never locks a person out', async () => {
    const browser = Browser.inject(t.app, { ip: '10.1.2.10' });
    await devSignIn(browser, 'honest@example.com');
    const limit = t.config.rateLimits.deviceCodeEntry.points;
    for (let i = 0; i < limit + 2; i++) {
      const grant = await startDevice(`box-${i}`);
      const entry = await browser.get('/device');
      const confirm = await browser.submit(entry, '/device', { user_code: grant.user_code });
      expect(confirm.status).toBe(200);
      expect((await browser.submit(confirm, '/device/approve', { decision: 'deny' })).status).toBe(200);
    }
  });

  it('writes audit rows for sign-in, approval and the PAT, never holding a token or a code', async () => {
    const grant = await startDevice('audited-box');
    const { email } = await decide(grant.user_code, 'approve', 'audited@example.com');
    const token = (await poll(grant.device_code)).json().access_token as string;
    const rows = await t.database.db.execute<{ action: string; actor_label: string | null; data: unknown }>(
      sql`SELECT action, actor_label, data FROM audit_events ORDER BY id`,
    );
    const mine = rows.rows.filter((r) => r.actor_label === email);
    expect(mine.map((r) => r.action)).toEqual(
      expect.arrayContaining(['user.signed_in', 'device.approved', 'pat.created']),
    );
    expect(mine.find((r) => r.action === 'pat.created')!.data).toMatchObject({
      name: 'audited-box',
      via: 'device_code',
    });
    const all = JSON.stringify(rows.rows);
    // The display prefix (`lk_pat_` + 4 characters) is recorded on purpose; a whole token never is.
    expect(all).not.toMatch(/lk_pat_[A-Za-z0-9]{5,}/);
    expect(all).not.toContain(token.slice(11));
    expect(all).not.toContain(grant.device_code);
    expect(all).not.toContain(grant.user_code);
    expect(all).not.toContain(grant.user_code.replace('-', ''));
  });
});
