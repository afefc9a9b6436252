import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../src/config.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp({
  rateLimits: { ...DEFAULT_RATE_LIMITS, tokenEndpoint: { points: 5, durationSeconds: 60 } },
});

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

describe('token revocation (RFC 7009)', () => {
  it('answers 200 for a valid PAT, which then gets 401 everywhere', async () => {
    const alice = await t.signUp();
    expect((await t.app.inject({ url: '/api/v1/me', headers: t.auth(alice.token) })).statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      ...form({ token: alice.token, token_type_hint: 'access_token' }),
    });
    expect(res.statusCode).toBe(200);
    const me = await t.app.inject({ url: '/api/v1/me', headers: t.auth(alice.token) });
    expect(me.statusCode).toBe(401);
    expect(me.json().error.code).toBe('TOKEN_REVOKED');
    // Revoking again is still fine.
    expect(
      (await t.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: alice.token }) }))
        .statusCode,
    ).toBe(200);
  });

  it('answers 200 for unknown and malformed tokens, telling nothing about them', async () => {
    const alice = await t.signUp();
    const unknown = `${alice.token.slice(0, 7)}${'A'.repeat(alice.token.length - 7)}`;
    for (const token of [unknown, 'not-a-token', 'lk_pat_xyz']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/revoke',
        ...form({ token, client_id: 'latch-cli' }),
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
    }
    // JSON bodies are accepted too.
    expect(
      (await t.app.inject({ method: 'POST', url: '/oauth/revoke', payload: { token: 'whatever' } }))
        .statusCode,
    ).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/me', headers: t.auth(alice.token) })).statusCode).toBe(200);
  });
});

describe('token endpoint rate limits', () => {
  it('answers 429 with Retry-After and an OAuth-style body once an address spends its budget', async () => {
    const ip = '10.77.0.1';
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/device/code',
        remoteAddress: ip,
        ...form({ client_id: 'latch-cli' }),
      });
      expect(res.statusCode).toBe(200);
    }
    const limited = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: ip,
      ...form({ grant_type: 'authorization_code' }),
    });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toEqual({ error: 'too_many_requests', error_description: expect.any(String) });
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/oauth/device/code',
      remoteAddress: '10.77.0.2',
      ...form({ client_id: 'latch-cli' }),
    });
    expect(elsewhere.statusCode).toBe(200);
  });
});
