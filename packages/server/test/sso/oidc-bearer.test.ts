import { randomBytes } from 'node:crypto';
import { generateToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/runtime/logger.js';
import { createTestApp, type SignedUp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { startUpstreamIdp, type UpstreamIdp } from '../helpers/oidc-provider.js';

const db = useTestDatabase();
const lines: string[] = [];
let idp: UpstreamIdp;
let t: TestApp;
let alice: SignedUp;

beforeAll(async () => {
  idp = await startUpstreamIdp({ redirectUri: 'http://127.0.0.1:7420/sso/callback' });
  idp.accounts.set('alice-sub', { email: 'alice@example.com', email_verified: true });
  idp.accounts.set('stranger-sub', { email: 'stranger@example.com', email_verified: true });
  const logger = { ...loggerOptions('production', 'info'), stream: { write: (l: string) => lines.push(l) } };
  t = await createTestApp(db.database, { mode: 'production', oidc: idp.settings() }, { logger });
  alice = await t.signUp('alice@example.com');
  // What a first SSO sign-in leaves behind (tested in sso.test.ts): alice's link to her subject.
  await db.database.db.execute(
    sql`INSERT INTO identity_links (id, user_id, issuer, subject, email, created_at)
        VALUES ('idl_alice', ${alice.userId}, ${idp.issuer}, 'alice-sub', 'alice@example.com', now())`,
  );
});
afterAll(async () => {
  await t?.app.close();
  await idp?.close();
});

const me = (token: string) =>
  t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
const errorOf = (res: { json(): unknown }) =>
  (res.json() as { error: { code: string; message: string; hint: string } }).error;
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('OIDC JWT bearer tokens', () => {
  it('acts as the linked user', async () => {
    const res = await me(await idp.signJwt({ sub: 'alice-sub' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      user: { id: alice.userId, email: 'alice@example.com' },
      token: { kind: 'oidc' },
    });
  });

  it("reaches org routes with the user's own permissions", async () => {
    const res = await t.app.inject({
      url: '/api/v1/orgs',
      headers: { authorization: `Bearer ${await idp.signJwt({ sub: 'alice-sub' })}` },
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.stringify(res.json())).toContain(alice.personalOrgId);
  });

  it('mints nothing that outlives it: a PAT made with a 5-minute OIDC token ends with it', async () => {
    const token = await idp.signJwt({ sub: 'alice-sub' }, { expiresIn: 300 });
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp * 1000;
    const create = (payload: object) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/pats',
        headers: { authorization: `Bearer ${token}` },
        payload,
      });
    const capped = await create({ name: 'from an oidc token' });
    expect(capped.statusCode).toBe(201);
    expect(Date.parse(capped.json().expiresAt)).toBeLessThanOrEqual(exp);
    const longer = await create({ name: 'longer', expiresIn: '90d' });
    expect(longer.statusCode).toBe(403);
    expect(errorOf(longer).message).toContain('never outlives');
  });

  it('refuses a token from another issuer', async () => {
    const res = await me(await idp.signJwt({ sub: 'alice-sub', iss: 'https://evil.example' }));
    expect(res.statusCode).toBe(401);
    expect(errorOf(res)).toMatchObject({
      code: 'INVALID_TOKEN',
      message: 'The OIDC token was issued for another issuer.',
    });
    expect(errorOf(res).hint).toContain(idp.issuer);
  });

  it('refuses a token for another audience', async () => {
    const res = await me(await idp.signJwt({ sub: 'alice-sub', aud: 'some-other-app' }));
    expect(res.statusCode).toBe(401);
    expect(errorOf(res)).toMatchObject({
      code: 'INVALID_TOKEN',
      message: 'The OIDC token was issued for another audience.',
    });
  });

  it('refuses an expired token, allowing 30 seconds of clock skew', async () => {
    expect((await me(await idp.signJwt({ sub: 'alice-sub' }, { expiresIn: -10 }))).statusCode).toBe(200);
    const late = await me(await idp.signJwt({ sub: 'alice-sub' }, { expiresIn: -45 }));
    expect(late.statusCode).toBe(401);
    expect(errorOf(late).code).toBe('TOKEN_EXPIRED');
    // Expiry follows the injected clock: a token valid now is refused two minutes on.
    const token = await idp.signJwt({ sub: 'alice-sub' }, { expiresIn: 60 });
    expect((await me(token)).statusCode).toBe(200);
    t.clock.advance(120_000);
    try {
      expect(errorOf(await me(token)).code).toBe('TOKEN_EXPIRED');
    } finally {
      t.clock.advance(-120_000);
    }
  });

  it('refuses alg none, HS256 with the client secret, and a signature by another key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: idp.issuer, aud: idp.clientId, sub: 'alice-sub', iat: now, exp: now + 300 };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'test-key' })
      .sign(new TextEncoder().encode(idp.clientSecret));
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .sign(privateKey);
    for (const token of [none, hs256, forged]) {
      const res = await me(token);
      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('INVALID_TOKEN');
    }
  });

  it('answers an identity nobody linked with 401 and a hint to sign in with SSO once', async () => {
    const res = await me(await idp.signJwt({ sub: 'stranger-sub' }));
    expect(res.statusCode).toBe(401);
    expect(errorOf(res)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(errorOf(res).hint).toContain('Sign in with SSO once in the browser');
  });

  it('still checks a mistyped Latchkey token as a Latchkey token, never upstream', async () => {
    const before = idp.requests.length;
    const pat = generateToken('lk_pat_');
    const res = await me(`${pat.slice(0, -1)}${pat.endsWith('A') ? 'B' : 'A'}`);
    expect(errorOf(res)).toMatchObject({
      code: 'INVALID_TOKEN',
      message: 'The token is malformed (bad format or checksum).',
    });
    expect(idp.requests.length).toBe(before);
  });

  it('never logs the bearer nor echoes it in an error', async () => {
    const from = lines.length;
    const good = await idp.signJwt({ sub: 'alice-sub' });
    const bad = await idp.signJwt({ sub: 'alice-sub', aud: 'elsewhere' });
    await me(good);
    const res = await me(bad);
    const logged = lines.slice(from).join('\n');
    expect(logged).toContain('/api/v1/me');
    for (const token of [good, bad]) {
      const signature = token.slice(token.lastIndexOf('.') + 1);
      expect(logged).not.toContain(signature);
      expect(res.body).not.toContain(signature);
    }
  });
});

describe('opaque OIDC bearer tokens', () => {
  it('acts as the linked user, asking UserInfo once and then the short cache', async () => {
    const token = await idp.opaqueToken('alice-sub');
    const before = idp.requests.filter((p) => p === '/me').length;
    const first = await me(token);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ user: { id: alice.userId }, token: { kind: 'oidc' } });
    expect((await me(token)).statusCode).toBe(200);
    expect(idp.requests.filter((p) => p === '/me').length).toBe(before + 1);

    // Revoked upstream: still answered from the cache for up to a minute, refused after it.
    await (await idp.provider.AccessToken.find(token))!.destroy();
    expect((await me(token)).statusCode).toBe(200);
    t.clock.advance(61_000);
    try {
      const res = await me(token);
      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('INVALID_TOKEN');
    } finally {
      t.clock.advance(-61_000);
    }
  });

  it('refuses a token the provider does not know, and remembers the refusal for a few seconds', async () => {
    const unknown = randomBytes(32).toString('base64url');
    const asked = () => idp.requests.filter((p) => p === '/me').length;
    const before = asked();
    const res = await me(unknown);
    expect((await me(unknown)).statusCode).toBe(401);
    expect(asked()).toBe(before + 1);
    expect(res.statusCode).toBe(401);
    expect(errorOf(res)).toMatchObject({
      code: 'INVALID_TOKEN',
      message: 'The OIDC token was not accepted by the sign-in provider.',
    });
  });

  it('answers an unlinked identity with 401 and the SSO hint', async () => {
    const res = await me(await idp.opaqueToken('stranger-sub'));
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).hint).toContain('Sign in with SSO once');
  });
});

describe('without SSO', () => {
  it('refuses a JWT as a malformed token, asking nobody', async () => {
    const plain = await createTestApp(db.database, { mode: 'production' });
    try {
      const before = idp.requests.length;
      const res = await plain.app.inject({
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${await idp.signJwt({ sub: 'alice-sub' })}` },
      });
      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('INVALID_TOKEN');
      expect(idp.requests.length).toBe(before);
    } finally {
      await plain.app.close();
    }
  });

  it('answers 503 with a hint, not 401, when SSO is set up but the provider is unreachable', async () => {
    const down = await createTestApp(db.database, {
      mode: 'production',
      oidc: idp.settings({ issuer: 'http://127.0.0.1:9' }),
    });
    try {
      const res = await down.app.inject({
        url: '/api/v1/me',
        headers: { authorization: `Bearer ${await idp.signJwt({ sub: 'alice-sub' })}` },
      });
      expect(res.statusCode).toBe(503);
      expect(errorOf(res)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(errorOf(res).hint).toContain('LATCH_OIDC_ISSUER');
    } finally {
      await down.app.close();
    }
  });
});
