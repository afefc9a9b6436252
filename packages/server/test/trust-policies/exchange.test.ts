import { sql } from 'drizzle-orm';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type SignedUp, useTestApp } from '../helpers/app.js';
import { type CiIssuer, githubClaims, startCiIssuer } from '../helpers/ci-issuer.js';
import { useTestDatabase } from '../helpers/db.js';
import { addMember, auditRows, call, createOrg } from '../members/fixtures.js';

const t = useTestApp();
let ci: CiIssuer;
let owner: SignedUp;
let org: { id: string; name: string };
let policy: { id: string; name: string };

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

beforeAll(async () => {
  ci = await startCiIssuer();
  owner = await t.signUp();
  org = await createOrg(t, owner);
  const res = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/trust-policies`, {
    name: 'api main',
    issuer: ci.issuer,
    audience: 'latchkey',
    claims: [
      { claim: 'repository', value: 'acme/api' },
      { claim: 'ref', value: 'refs/heads/main' },
    ],
    scopes: ['platform_keys:read', 'projects:read'],
    ttl: '10m',
  });
  expect(res.statusCode, res.body).toBe(201);
  policy = res.json();
});
afterAll(async () => {
  await ci?.close();
});

function exchange(fields: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}
const exchangeJwt = (jwt: string, extra: Record<string, string> = {}) =>
  exchange({ grant_type: GRANT, subject_token: jwt, subject_token_type: JWT_TYPE, org: org.name, ...extra });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('RFC 8693 token exchange', () => {
  it('exchanges a matching GitHub-style token for a short-lived platform key with the policy scopes', async () => {
    const jwt = await ci.mint();
    const res = await exchangeJwt(jwt);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      access_token: expect.stringMatching(/^lk_key_/),
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'platform_keys:read projects:read',
    });
    // The credential works within its scopes, and not outside them.
    const within = await call(t, body.access_token, 'GET', `/api/v1/orgs/${org.id}/trust-policies`);
    expect(within.statusCode, within.body).toBe(200);
    const outside = await call(t, body.access_token, 'GET', `/api/v1/orgs/${org.id}/members`);
    expect(outside.statusCode).toBe(403);
    // It is a platform key of the org, acting for the policy's creator, expiring with the ttl.
    const me = (await call(t, body.access_token, 'GET', '/api/v1/me')).json();
    expect(me.token).toMatchObject({ kind: 'platform_key' });
    expect(Date.parse(me.token.expiresAt) - t.clock.now().getTime()).toBe(600_000);
    // Audited with the matched claims, never the token.
    const audit = (await auditRows(t, org.id)).filter((r) => r.action === 'trust_policy.exchanged').at(-1)!;
    const data = audit.data as Record<string, unknown>;
    expect(data).toMatchObject({
      policy: { id: policy.id, name: 'api main' },
      issuer: ci.issuer,
      subject: 'repo:acme/api:ref:refs/heads/main',
      scopes: ['platform_keys:read', 'projects:read'],
    });
    expect(data.matched).toContainEqual({ claim: 'repository', value: 'acme/api' });
    expect(data.matched).toContainEqual({ claim: 'ref', value: 'refs/heads/main' });
    const all = JSON.stringify(await auditRows(t, org.id));
    expect(all).not.toContain(jwt.split('.')[2]);
    expect(all).not.toContain(body.access_token);
    // It expires on the injected clock.
    t.clock.advance(11 * 60_000);
    try {
      const late = await call(t, body.access_token, 'GET', `/api/v1/orgs/${org.id}/trust-policies`);
      expect(late.statusCode).toBe(401);
    } finally {
      t.clock.advance(-11 * 60_000);
    }
  });

  it('caches the discovery document and keys between exchanges', async () => {
    const before = ci.jwksFetches();
    for (let i = 0; i < 3; i++) expect((await exchangeJwt(await ci.mint())).statusCode).toBe(200);
    expect(ci.jwksFetches() - before).toBeLessThanOrEqual(1);
  });

  it('narrows to a requested subset of scopes, and refuses scopes the policy lacks', async () => {
    const narrow = await exchangeJwt(await ci.mint(), { scope: 'projects:read' });
    expect(narrow.statusCode, narrow.body).toBe(200);
    expect(narrow.json().scope).toBe('projects:read');
    const wide = await exchangeJwt(await ci.mint(), { scope: 'secrets:read' });
    expect(wide.statusCode).toBe(400);
    expect(wide.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it.each([
    [
      'wrong issuer',
      async () => ci.mint({ ...githubClaims(), iss: 'https://token.actions.githubusercontent.com' }),
    ],
    ['wrong audience', async () => ci.mint({ ...githubClaims(), aud: 'someone-else' })],
    ['another repository', async () => ci.mint(githubClaims('evil/api'))],
    ['another branch', async () => ci.mint(githubClaims('acme/api', 'refs/heads/feature'))],
    ['expired', async () => ci.mint(githubClaims(), { expiresIn: -120 })],
    ['not yet valid', async () => ci.mint(githubClaims(), { notBefore: 600, expiresIn: 900 })],
    [
      'alg none',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...githubClaims(), iss: ci.issuer, exp: now + 300 })}.`;
      },
    ],
    [
      'HS256',
      async () =>
        new SignJWT({ ...githubClaims(), iss: ci.issuer })
          .setProtectedHeader({ alg: 'HS256', kid: 'ci-key-1' })
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode('a shared secret of the attacker')),
    ],
    [
      'a signature by another key',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        return new SignJWT({ ...githubClaims(), iss: ci.issuer })
          .setProtectedHeader({ alg: 'RS256', kid: 'ci-key-1' })
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
      },
    ],
  ])('refuses %s with invalid_grant and issues nothing', async (_name, mint) => {
    const before = await t.database.db.execute(sql`SELECT count(*)::int AS n FROM tokens`);
    const res = await exchangeJwt(await mint());
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toBe('invalid_grant');
    expect(res.json().error_description).toBeTruthy();
    expect(res.json().hint).toBeTruthy();
    const after = await t.database.db.execute(sql`SELECT count(*)::int AS n FROM tokens`);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('does not tell an outsider which claim failed, nor whether the org exists', async () => {
    const wrongRepo = (await exchangeJwt(await ci.mint(githubClaims('evil/api')))).json();
    expect(wrongRepo.error_description).not.toContain('repository');
    expect(wrongRepo.hint).toContain('latch trust-policies test');
    const noOrg = (await exchangeJwt(await ci.mint(), { org: 'no-such-org-anywhere' })).json();
    expect(noOrg.error).toBe('invalid_grant');
    expect(noOrg.error_description).toBe('No trust policy of no-such-org-anywhere accepts this token.');
  });

  it.each([
    [{ subject_token: '' }, 'subject_token'],
    [{ subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }, 'subject_token_type'],
    [{ subject_token_type: '' }, 'subject_token_type'],
    [{ org: '' }, 'org'],
    [{ subject_token: 'not.a-jwt' }, 'JWT'],
    [{ actor_token: 'x' }, 'actor_token'],
  ])('answers a malformed request %j with invalid_request and a hint', async (over, word) => {
    const res = await exchangeJwt(await ci.mint(), over as Record<string, string>);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toBe('invalid_request');
    expect(res.json().error_description).toContain(word);
    expect(res.json().hint).toBeTruthy();
  });

  it("is capped by the creator: a developer's policy stops issuing when they are demoted", async () => {
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const res = await call(t, dev.token, 'POST', `/api/v1/orgs/${org.id}/trust-policies`, {
      name: 'dev policy',
      issuer: ci.issuer,
      audience: 'dev-aud',
      claims: [{ claim: 'repository', value: 'acme/api' }],
      scopes: ['deploy:write'],
    });
    expect(res.statusCode, res.body).toBe(201);
    const jwt = await ci.mint({ ...githubClaims(), aud: 'dev-aud' });
    const ok = await exchangeJwt(jwt);
    expect(ok.statusCode, ok.body).toBe(200);
    const issued = ok.json().access_token;
    await t.database.db.execute(
      sql`UPDATE memberships SET role = 'viewer' WHERE user_id = ${dev.userId} AND org_id = ${org.id}`,
    );
    const refused = await exchangeJwt(await ci.mint({ ...githubClaims(), aud: 'dev-aud' }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'invalid_grant' });
    expect(refused.json().error_description).toContain('deploy:write');
    // What it issued before is suspended at use.
    const used = await call(t, issued, 'GET', `/api/v1/orgs/${org.id}/projects`);
    expect(used.json().error.code, used.body).toBe('KEY_SUSPENDED');
  });

  it('deleting the policy revokes the credentials it issued', async () => {
    const res = await call(t, owner.token, 'POST', `/api/v1/orgs/${org.id}/trust-policies`, {
      issuer: ci.issuer,
      audience: 'short-lived',
      claims: [{ claim: 'repository_owner', value: 'acme' }],
      scopes: ['projects:read'],
    });
    const p = res.json();
    const token = (await exchangeJwt(await ci.mint({ ...githubClaims(), aud: 'short-lived' }))).json()
      .access_token;
    expect((await call(t, token, 'GET', `/api/v1/orgs/${org.id}/projects`)).statusCode).toBe(200);
    const del = await call(t, owner.token, 'DELETE', `/api/v1/orgs/${org.id}/trust-policies/${p.id}`);
    expect(del.statusCode).toBe(200);
    const after = await call(t, token, 'GET', `/api/v1/orgs/${org.id}/projects`);
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('TOKEN_REVOKED');
  });
});

describe('on a production server', () => {
  const db = useTestDatabase();
  it('refuses a plain-http issuer, even on loopback', async () => {
    const prod = await createTestApp(db.database, { mode: 'production' });
    try {
      const boss = await prod.signUp();
      const o = await call(prod, boss.token, 'POST', '/api/v1/orgs', { name: `prod-${Date.now()}` });
      const res = await call(prod, boss.token, 'POST', `/api/v1/orgs/${o.json().id}/trust-policies`, {
        issuer: ci.issuer,
        audience: 'latchkey',
        claims: [{ claim: 'repository', value: 'acme/api' }],
        scopes: ['projects:read'],
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain('dev server');
    } finally {
      await prod.app.close();
    }
  });
});
