import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

// Small budgets, so the limits are reached within a test: 6 requests per address, 3 per credential.
const t = useTestApp({
  rateLimits: {
    perIp: { points: 6, durationSeconds: 60 },
    perCredential: { points: 3, durationSeconds: 60 },
  } as never,
});

/** Each request comes from its own address unless told otherwise, so budgets do not mix. */
let addresses = 0;
const nextAddress = () => `10.0.${Math.floor(++addresses / 250)}.${addresses % 250}`;

describe('the generous limits every request passes', () => {
  it('an open route shows the address budget in the IETF RateLimit field', async () => {
    const remoteAddress = nextAddress();
    const first = await t.app.inject({ url: '/health', remoteAddress });
    expect(first.headers.ratelimit).toMatch(/^"address";r=5;t=\d+$/);
    // The policy comes with the 429 only.
    expect(first.headers['ratelimit-policy']).toBeUndefined();
    expect(first.headers['x-request-id']).toMatch(/^req_/);
    const second = await t.app.inject({ url: '/health', remoteAddress });
    expect(second.headers.ratelimit).toMatch(/^"address";r=4;t=\d+$/);
  });

  it('an authenticated request shows its credential budget, and is refused with 429 once it is spent', async () => {
    const user = await t.signUp();
    const remoteAddress = nextAddress();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ url: '/api/v1/me', headers: t.auth(user.token), remoteAddress });
      expect(res.statusCode).toBe(200);
      seen.push(String(res.headers.ratelimit).replace(/;t=\d+$/, ''));
    }
    expect(seen).toEqual(['"credential";r=2', '"credential";r=1', '"credential";r=0']);

    const limited = await t.app.inject({ url: '/api/v1/me', headers: t.auth(user.token), remoteAddress });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.json().error.hint).toBeTruthy();
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['ratelimit-policy']).toBe('"credential";q=3;w=60');
    expect(limited.headers.ratelimit).toMatch(/^"credential";r=0;t=\d+$/);
    expect(limited.headers['x-request-id']).toMatch(/^req_/);
    // The budget is the credential's, not the address's: another caller from there still gets in.
    const other = await t.signUp();
    const res = await t.app.inject({ url: '/api/v1/me', headers: t.auth(other.token), remoteAddress });
    expect(res.statusCode).toBe(200);
  });

  it('authenticated requests still spend their address budget', async () => {
    const remoteAddress = nextAddress();
    const users = await Promise.all([t.signUp(), t.signUp(), t.signUp()]);
    const codes: number[] = [];
    for (const u of users)
      for (let i = 0; i < 3; i++) {
        const res = await t.app.inject({ url: '/api/v1/me', headers: t.auth(u.token), remoteAddress });
        codes.push(res.statusCode);
      }
    expect(codes.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(codes.slice(6)).toEqual([429, 429, 429]);
  });

  it('requests for routes that do not exist spend the address budget too', async () => {
    const remoteAddress = nextAddress();
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t.app.inject({ url: `/api/v1/nope-${i}`, remoteAddress });
      codes.push(res.statusCode);
      expect(res.headers['x-request-id']).toMatch(/^req_/);
    }
    expect(codes).toEqual([404, 404, 404, 404, 404, 404, 429]);
  });

  it('a request without a credential on a guarded route spends the address budget, not a credential one', async () => {
    const remoteAddress = nextAddress();
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t.app.inject({ url: '/api/v1/me', remoteAddress });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 401, 429]);
  });
});

describe('windows on the injected clock', () => {
  it('a spent budget comes back when the window ends, without waiting for real time', async () => {
    const user = await t.signUp();
    const remoteAddress = nextAddress();
    const me = () => t.app.inject({ url: '/api/v1/me', headers: t.auth(user.token), remoteAddress });
    for (let i = 0; i < 3; i++) expect((await me()).statusCode).toBe(200);
    const limited = await me();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    t.clock.advance(30_000);
    expect((await me()).headers['retry-after']).toBe('30');
    t.clock.advance(30_000);
    expect((await me()).statusCode).toBe(200);
  });
});
