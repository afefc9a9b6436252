import type { OidcConfig } from '../config.js';
import { StartupError } from './startup-error.js';

type Env = Record<string, string | undefined>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** Plain http is only for a provider on this machine (tests, local IdPs): tokens cross it. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.has(url.hostname);
}

function fail(message: string, hint: string): never {
  throw new StartupError(`${message} ${hint}`);
}

/**
 * LATCH_OIDC_* from the environment: null when SSO is off. Every mistake stops the server at
 * start-up with what is wrong and how to fix it, rather than failing the first person to sign in.
 */
export function readOidcSettings(env: Env): OidcConfig | null {
  const value = (name: string) => (env[name]?.trim() ? env[name]!.trim() : null);
  const issuer = value('LATCH_OIDC_ISSUER');
  const clientId = value('LATCH_OIDC_CLIENT_ID');
  if (!issuer && !clientId) {
    for (const name of [
      'LATCH_OIDC_CLIENT_SECRET',
      'LATCH_OIDC_ALLOW_SIGNUP',
      'LATCH_OIDC_ALLOWED_DOMAINS',
    ]) {
      if (value(name))
        fail(
          `${name} is set but LATCH_OIDC_ISSUER is not.`,
          'Set LATCH_OIDC_ISSUER and LATCH_OIDC_CLIENT_ID too, or unset it.',
        );
    }
    return null;
  }
  if (!issuer)
    fail(
      'LATCH_OIDC_CLIENT_ID is set but LATCH_OIDC_ISSUER is not.',
      "Set LATCH_OIDC_ISSUER to your provider's issuer URL, e.g. https://accounts.example.com.",
    );
  if (!clientId)
    fail(
      'LATCH_OIDC_ISSUER is set but LATCH_OIDC_CLIENT_ID is not.',
      'Register Latchkey as a client with the provider and set LATCH_OIDC_CLIENT_ID (and LATCH_OIDC_CLIENT_SECRET).',
    );
  return {
    issuer: parseIssuer(issuer),
    clientId,
    clientSecret: value('LATCH_OIDC_CLIENT_SECRET'),
    allowSignup: parseFlag(value('LATCH_OIDC_ALLOW_SIGNUP'), 'LATCH_OIDC_ALLOW_SIGNUP'),
    allowedDomains: parseDomains(value('LATCH_OIDC_ALLOWED_DOMAINS')),
    audience: value('LATCH_OIDC_AUDIENCE') ?? clientId,
  };
}

/** An issuer is an https URL without query, fragment or credentials (OpenID Connect Discovery §2). */
export function parseIssuer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(
      `LATCH_OIDC_ISSUER is not a URL (got "${raw}").`,
      'Use the issuer URL your provider documents, e.g. https://accounts.example.com.',
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
    fail(
      `LATCH_OIDC_ISSUER must be an https:// URL (got ${url.protocol}//).`,
      'Plain http:// is accepted only for a provider on 127.0.0.1 or localhost.',
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    fail(
      'LATCH_OIDC_ISSUER must not contain credentials, a query or a fragment.',
      'Use the bare issuer URL, e.g. https://accounts.example.com/realms/acme.',
    );
  }
  // Kept as given (bar a trailing slash on the bare origin): discovery compares it exactly.
  return url.pathname === '/' && !raw.endsWith('/') ? url.origin : raw;
}

function parseFlag(raw: string | null, name: string): boolean {
  if (raw === null) return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  return fail(
    `${name} is 1 or 0 (got "${raw}").`,
    'Set 1 to let a first SSO sign-in create the account, 0 (the default) to allow only existing accounts.',
  );
}

function parseDomains(raw: string | null): string[] | null {
  if (raw === null) return null;
  const domains = raw
    .split(',')
    .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
    .filter(Boolean);
  const bad = domains.find((d) => !DOMAIN.test(d));
  if (bad !== undefined || domains.length === 0) {
    fail(
      `LATCH_OIDC_ALLOWED_DOMAINS is a comma-separated list of email domains (bad entry: "${bad ?? raw}").`,
      'For example: example.com,example.org.',
    );
  }
  return domains;
}
