import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp({ publicUrl: 'https://latch.example.com' });

describe('authorization server metadata (RFC 8414)', () => {
  it('describes every endpoint under the public URL', async () => {
    const res = await t.app.inject({ url: '/.well-known/oauth-authorization-server' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    const base = 'https://latch.example.com';
    expect(res.json()).toMatchObject({
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      device_authorization_endpoint: `${base}/oauth/device/code`,
      revocation_endpoint: `${base}/oauth/revoke`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
    });
  });

  it('sets Secure on cookies when the public URL is https', async () => {
    const res = await t.app.inject({ url: '/login' });
    expect(String(res.headers['set-cookie'])).toMatch(/latch_csrf=[^;]+;.*Secure/);
  });
});
