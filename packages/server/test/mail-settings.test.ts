import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config.js';
import { ssoStartFor } from '../src/routes/web/invite.js';
import { readSettings } from '../src/runtime/settings.js';
import { StartupError } from '../src/runtime/startup-error.js';

const read = (env: Record<string, string>) =>
  readSettings('production', { port: 0, dataDir: '/tmp/unused' }, { ...env });

function startupError(env: Record<string, string>): string {
  try {
    read(env);
  } catch (err) {
    expect(err).toBeInstanceOf(StartupError);
    return (err as Error).message;
  }
  throw new Error('expected a StartupError');
}

describe('mail settings (LATCH_SMTP_URL, LATCH_MAIL_FROM)', () => {
  it('reads both, and sends no mail when neither is set', () => {
    expect(read({}).mail).toBeNull();
    const env = {
      LATCH_SMTP_URL: 'smtps://u:p@mail.example.com:465',
      LATCH_MAIL_FROM: 'Latchkey <l@example.com>',
    };
    expect(read(env).mail).toEqual({ smtpUrl: env.LATCH_SMTP_URL, from: env.LATCH_MAIL_FROM });
    expect(read({ LATCH_SMTP_URL: 'smtp://mail:25', LATCH_MAIL_FROM: 'l@example.com' }).mail?.from).toBe(
      'l@example.com',
    );
  });

  it('refuses half a configuration or a malformed one, without echoing the URL (it holds a password)', () => {
    expect(startupError({ LATCH_MAIL_FROM: 'l@example.com' })).toContain('LATCH_SMTP_URL is not');
    expect(startupError({ LATCH_SMTP_URL: 'smtp://mail:25' })).toContain('LATCH_MAIL_FROM must be');
    expect(startupError({ LATCH_SMTP_URL: 'smtp://mail:25', LATCH_MAIL_FROM: 'nobody' })).toContain(
      'LATCH_MAIL_FROM must be',
    );
    for (const bad of ['https://u:secretpw@mail:25', 'not a url secretpw', 'smtp://']) {
      const message = startupError({ LATCH_SMTP_URL: bad, LATCH_MAIL_FROM: 'l@example.com' });
      expect(message).toContain('LATCH_SMTP_URL must be smtp://');
      expect(message).not.toContain('secretpw');
    }
  });
});

describe('the invitation page and SSO', () => {
  it('offers SSO only when the server has an upstream OIDC provider, coming back to the invitation', () => {
    const back = '/invite/lk_inv_abc';
    expect(ssoStartFor(defaultConfig(), back)).toBeNull();
    const withOidc = {
      ...defaultConfig(),
      oidc: {
        issuer: 'https://idp.example.com',
        clientId: 'latchkey',
        clientSecret: null,
        allowSignup: false,
        allowedDomains: null,
        audience: 'latchkey',
      },
    };
    expect(ssoStartFor(withOidc, back)).toBe(`/sso/start?next=${encodeURIComponent(back)}`);
  });
});
