import { generateToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/runtime/logger.js';
import { createTestApp, type SignedUp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { Browser, hiddenFields } from '../web/browser.js';

/** The app with the production logger, writing into `lines` instead of stdout. */
const db = useTestDatabase();
const lines: string[] = [];
let t: TestApp;
let owner: SignedUp;
beforeAll(async () => {
  const logger = {
    ...loggerOptions('production', 'info'),
    stream: { write: (line: string) => lines.push(line) },
  };
  t = await createTestApp(db.database, { mode: 'production' }, { logger });
  owner = await t.signUp();
});
afterAll(() => t?.app.close());

// A real, well-formed credential of each kind, pasted where it does not belong.
const pasted = {
  pat: generateToken('lk_pat_'),
  key: generateToken('lk_key_'),
  app: generateToken('acme_live_'),
};
/** The secret part: the prefix may be shown, the rest must never be. */
const secretPart = (token: string) => token.slice(token.lastIndexOf('_') + 1);

function expectNowhere(token: string, where: { body: string; logged: string }) {
  expect(where.body).not.toContain(secretPart(token));
  expect(where.logged).not.toContain(secretPart(token));
}

async function logged<T>(run: () => Promise<T>): Promise<[T, string]> {
  const from = lines.length;
  const result = await run();
  // pino writes synchronously to the stream; the request is over when inject resolves.
  return [result, lines.slice(from).join('')];
}

describe('a credential pasted in the wrong place', () => {
  it('is redacted from 404s and 400s when it sits in a path segment', async () => {
    const cases: [string, string][] = [
      [`/api/v1/${pasted.pat}`, pasted.pat],
      [`/api/v1/orgs/${pasted.key}/members`, pasted.key],
      [`/api/v1/orgs/${owner.personalOrgId}/members/${pasted.app}`, pasted.app],
      [`/api/v1/orgs/${owner.personalOrgId}/projects/${pasted.pat}/environments`, pasted.pat],
    ];
    for (const [url, token] of cases) {
      const [res, log] = await logged(() => t.app.inject({ url, headers: t.auth(owner.token) }));
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url).toBeLessThan(500);
      expect(log, url).toContain('"url":"/api/v1/');
      expectNowhere(token, { body: res.body, logged: log });
    }
  });

  it('is redacted from the logged URL when it sits in the query', async () => {
    const [res, log] = await logged(() =>
      t.app.inject({
        url: `/api/v1/pats?cursor=${pasted.pat}&limit=${pasted.key}`,
        headers: t.auth(owner.token),
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(log).toContain('lk_pat_[redacted]');
    expectNowhere(pasted.pat, { body: res.body, logged: log });
    expectNowhere(pasted.key, { body: res.body, logged: log });
  });

  it('is not echoed in the 400 of a body field (a token given as a scope)', async () => {
    const [res, log] = await logged(() =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/pats',
        headers: t.auth(owner.token),
        payload: { name: 'wrong', scopes: ['projects:read', pasted.pat], expiresIn: '1h' },
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('lk_pat_[redacted]');
    expectNowhere(pasted.pat, { body: res.body, logged: log });
  });

  it('signing in with a token as the email answers 401 and audits the attempt without the token', async () => {
    const browser = Browser.inject(t.app);
    const page = await browser.get('/login');
    const [res, log] = await logged(() =>
      browser.post('/login', {
        ...hiddenFields(page.body, '/login'),
        method: 'password',
        email: pasted.pat,
        password: 'whatever it is',
      }),
    );
    expect(res.status).toBe(401);
    const rows = await t.database.db.execute(
      sql`SELECT actor_label, target_id, data FROM audit_events WHERE action = 'user.sign_in_failed'`,
    );
    expect(rows.rows).toHaveLength(1);
    expect(JSON.stringify(rows.rows)).toContain('lk_pat_[redacted]');
    expectNowhere(pasted.pat, { body: res.body, logged: log + JSON.stringify(rows.rows) });
  });

  it('keeps the user code of a nested next= out of the logged URL', async () => {
    const next = encodeURIComponent('/device?user_code=BCDF-GHJK');
    const [res, log] = await logged(() => t.app.inject({ url: `/login?next=${next}` }));
    expect(res.statusCode).toBe(200);
    expect(log).toContain('"url":"/login?next=');
    expect(log).not.toContain('BCDF-GHJK');
    expect(log).not.toContain('BCDF');
  });
});
