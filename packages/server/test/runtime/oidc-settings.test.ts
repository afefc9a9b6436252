import { describe, expect, it } from 'vitest';
import { readOidcSettings } from '../../src/runtime/oidc-settings.js';
import { StartupError } from '../../src/runtime/startup-error.js';

const base = { LATCH_OIDC_ISSUER: 'https://id.example.com', LATCH_OIDC_CLIENT_ID: 'latchkey' };

function refusal(env: Record<string, string>): string {
  try {
    readOidcSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(StartupError);
    return (err as Error).message;
  }
  throw new Error('expected a start-up error');
}

describe('LATCH_OIDC_* settings', () => {
  it('is off when nothing is set', () => {
    expect(readOidcSettings({})).toBeNull();
  });

  it('reads issuer, client, sign-up, domains and audience', () => {
    expect(
      readOidcSettings({
        ...base,
        LATCH_OIDC_CLIENT_SECRET: 's3cret',
        LATCH_OIDC_ALLOW_SIGNUP: 'true',
        LATCH_OIDC_ALLOWED_DOMAINS: 'Example.com, @example.org',
      }),
    ).toEqual({
      issuer: 'https://id.example.com',
      clientId: 'latchkey',
      clientSecret: 's3cret',
      allowSignup: true,
      allowedDomains: ['example.com', 'example.org'],
      audience: 'latchkey',
    });
    expect(readOidcSettings({ ...base, LATCH_OIDC_AUDIENCE: 'api://latch' })?.audience).toBe('api://latch');
    // A path-bearing issuer (Keycloak realms, Entra tenants) is kept exactly as given.
    expect(
      readOidcSettings({ ...base, LATCH_OIDC_ISSUER: 'https://id.example.com/realms/acme/' })?.issuer,
    ).toBe('https://id.example.com/realms/acme/');
  });

  it.each([
    ['not a URL', 'id.example.com', 'is not a URL'],
    ['plain http to another host', 'http://id.example.com', 'must be an https:// URL'],
    ['another scheme', 'ftp://id.example.com', 'must be an https:// URL'],
    ['credentials', 'https://user:pw@id.example.com', 'must not contain credentials'],
    ['a query', 'https://id.example.com/?tenant=1', 'a query or a fragment'],
    ['a fragment', 'https://id.example.com/#x', 'a query or a fragment'],
  ])('refuses an issuer with %s, saying what to use instead', (_what, issuer, message) => {
    const text = refusal({ ...base, LATCH_OIDC_ISSUER: issuer });
    expect(text).toContain(message);
    expect(text).toMatch(/e\.g\.|Use|accepted only/);
    expect(text).not.toContain('user:pw');
  });

  it('accepts plain http only on loopback', () => {
    expect(readOidcSettings({ ...base, LATCH_OIDC_ISSUER: 'http://127.0.0.1:9000' })?.issuer).toBe(
      'http://127.0.0.1:9000',
    );
  });

  it('refuses half a configuration and bad flags or domains', () => {
    expect(refusal({ LATCH_OIDC_ISSUER: base.LATCH_OIDC_ISSUER })).toContain('LATCH_OIDC_CLIENT_ID');
    expect(refusal({ LATCH_OIDC_CLIENT_ID: 'x' })).toContain('LATCH_OIDC_ISSUER');
    expect(refusal({ LATCH_OIDC_ALLOW_SIGNUP: '1' })).toContain('LATCH_OIDC_ISSUER is not');
    expect(refusal({ ...base, LATCH_OIDC_ALLOW_SIGNUP: 'maybe' })).toContain('is 1 or 0');
    expect(refusal({ ...base, LATCH_OIDC_ALLOWED_DOMAINS: 'example.com,not a domain' })).toContain(
      'bad entry: "not a domain"',
    );
  });
});
