import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateToken, type ManifestInput } from '@latchkey/core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchHandler, createVerifier, ManifestMountError, mountRoutes, ok } from '../src/index.js';

const base: ManifestInput = {
  project: 'acme',
  apiKeys: { scopes: { read: { grants: { Task: ['read'] } } } },
  routes: [
    { prefix: '/v1', auth: 'apiKey:read', routes: { 'GET /tasks': 'listTasks' } },
    { prefix: '/app', auth: 'session', rateLimit: '2/minute', routes: { 'GET /me': 'me' } },
  ],
};
// Never contacted: start-up checks fail before any request.
const verifier = () =>
  createVerifier({
    apiUrl: 'http://127.0.0.1:9',
    token: generateToken('lk_key_'),
    project: 'acme',
    org: 'o',
    environment: 'production',
    usage: false,
  });

describe('start-up checks', () => {
  it('fails for a handler the manifest names but the app lacks, naming the route', () => {
    const v = verifier();
    expect(() =>
      createFetchHandler(base, { handlers: { listTasks: () => ok() }, verifier: v, session: () => null }),
    ).toThrow(/handler "me" for GET \/app\/me is missing/);
    void v.close();
  });

  it('fails for a handler the manifest does not name', () => {
    const v = verifier();
    expect(() =>
      createFetchHandler(base, {
        handlers: { listTasks: () => ok(), me: () => ok(), exportAll: () => ok() },
        verifier: v,
        session: () => null,
      }),
    ).toThrow(/handler "exportAll" is not named by any route/);
    void v.close();
  });

  it('fails without a verifier for apiKey routes or a session for session routes', () => {
    expect(() => createFetchHandler(base, { handlers: { listTasks: () => ok(), me: () => ok() } })).toThrow(
      ManifestMountError,
    );
    expect(() => createFetchHandler(base, { handlers: { listTasks: () => ok(), me: () => ok() } })).toThrow(
      /pass `verifier`.*\n.*pass `session`/s,
    );
  });

  it('fails for an invalid manifest with the field named', () => {
    const bad = { ...base, routes: [{ prefix: '/v1', auth: 'apiKey:admin', routes: { 'GET /x': 'x' } }] };
    expect(() => createFetchHandler(bad, { handlers: { x: () => ok() } })).toThrow(
      /routes\[0\]\.auth: scope "admin" is not declared/,
    );
  });

  it('refuses an app it does not know', () => {
    expect(() => mountRoutes({} as never, { project: 'acme' }, { handlers: {} })).toThrow(TypeError);
  });
});

describe('session: OIDC JWTs against an issuer JWKS (jose)', () => {
  let issuer: string;
  let server: Server;
  let sign: (
    claims: Record<string, unknown>,
    opts?: { aud?: string; iss?: string; exp?: string | number },
  ) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration')
        return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      if (req.url === '/jwks') return res.end(JSON.stringify({ keys: [jwk] }));
      res.writeHead(404).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sign = (claims, o = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(o.iss ?? issuer)
        .setAudience(o.aud ?? 'tasks-api')
        .setIssuedAt()
        .setExpirationTime(o.exp ?? '5m')
        .sign(privateKey);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const manifest: ManifestInput = {
    project: 'acme',
    routes: [{ prefix: '/app', auth: 'session', rateLimit: '5/minute', routes: { 'GET /me': 'me' } }],
  };

  it('accepts a valid token and refuses a wrong audience, issuer, expired or missing one', async () => {
    const handler = createFetchHandler(manifest, {
      handlers: {
        me: (req) =>
          ok(req.auth.kind === 'session' ? { id: req.auth.user.id, email: req.auth.user.email } : null),
      },
      session: { issuer, audience: 'tasks-api' },
    });
    const call = async (token?: string) =>
      handler(
        new Request('http://app/app/me', { headers: token ? { authorization: `Bearer ${token}` } : {} }),
        { ip: '10.0.0.1' },
      );

    const good = await call(await sign({ sub: 'user_1', email: 'ada@example.com' }));
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ id: 'user_1', email: 'ada@example.com' });
    expect(good.headers.get('ratelimit-remaining')).toBe('4');

    const missing = await call();
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.code).toBe('UNAUTHENTICATED');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="acme"');

    const wrongAud = await call(await sign({ sub: 'u' }, { aud: 'other' }));
    expect((await wrongAud.json()).error.code).toBe('INVALID_TOKEN');
    const wrongIss = await call(await sign({ sub: 'u' }, { iss: 'https://evil.example' }));
    expect(wrongIss.status).toBe(401);
    const expired = await call(await sign({ sub: 'u' }, { exp: Math.floor(Date.now() / 1000) - 3600 }));
    expect((await expired.json()).error.code).toBe('TOKEN_EXPIRED');

    // Session routes are limited per client address, before the session check: 5/minute is spent.
    expect((await call(await sign({ sub: 'user_1' }))).status).toBe(429);
  });
});

describe('rate limits on the injected clock', () => {
  it('a spent window comes back when the clock passes its end, without a real wait', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const handler = createFetchHandler(
      {
        project: 'acme',
        routes: [{ prefix: '/hook', auth: 'none', rateLimit: '2/minute', routes: { 'POST /in': 'hook' } }],
      },
      { handlers: { hook: () => ok({}) }, clock: { now: () => now } },
    );
    const call = () => handler(new Request('http://app/hook/in', { method: 'POST' }), { ip: '10.0.0.9' });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    now += 59_999;
    expect((await call()).status).toBe(429);
    now += 1;
    expect((await call()).status).toBe(200);
  });
});
