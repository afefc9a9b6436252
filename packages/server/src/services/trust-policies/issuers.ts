import { AppError, HOUR } from '@latchkey/core';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { Clock } from '../../clock.js';
import { isLoopbackUrl } from '../../runtime/oidc-settings.js';
import { OIDC_CLOCK_TOLERANCE_SECONDS, OIDC_JWT_ALGORITHMS } from '../identity/oidc-bearer.js';

/** Discovery documents are kept this long; a fetch failure is retried on the next use. */
export const DISCOVERY_TTL = HOUR;
const FETCH_TIMEOUT_MS = 5000;
const MAX_CACHED_ISSUERS = 1000;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Plain http only to this machine, and only in dev and tests: tokens and keys cross it. */
export function checkIssuerUrl(raw: string, allowLoopbackHttp: boolean): string {
  const hint =
    'Use the issuer URL your CI documents, e.g. https://token.actions.githubusercontent.com or https://gitlab.com.';
  const fail = (message: string) =>
    new AppError('INVALID_INPUT', message, { hint, details: { field: 'issuer' } });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail(`The issuer "${raw}" is not a URL.`);
  }
  const loopbackHttp = url.protocol === 'http:' && isLoopbackUrl(url);
  if (url.protocol !== 'https:' && !(loopbackHttp && allowLoopbackHttp)) {
    throw fail(
      loopbackHttp
        ? 'A plain http:// issuer is accepted only by a dev server (latch dev).'
        : `The issuer must be an https:// URL (got ${url.protocol}//).`,
    );
  }
  if (url.username || url.password || url.search || url.hash || raw !== raw.trim()) {
    throw fail('The issuer must be a bare URL: no credentials, query, fragment or spaces.');
  }
  return raw;
}

export type VerifiedToken = { payload: JWTPayload };

export type TokenFailure = {
  kind: 'malformed' | 'algorithm' | 'expired' | 'invalid' | 'unreachable';
  message: string;
};

export class TokenRejected extends Error {
  constructor(readonly failure: TokenFailure) {
    super(failure.message);
  }
}

/** The unverified header and claims, for choosing policies and for the test answer. */
export function peek(token: string): { alg: string | null; payload: JWTPayload } {
  if (!JWT_SHAPE.test(token) || token.length > 16_384) {
    throw new TokenRejected({
      kind: 'malformed',
      message: 'The token is not a JWT (three base64url parts).',
    });
  }
  try {
    const header = decodeProtectedHeader(token);
    return { alg: typeof header.alg === 'string' ? header.alg : null, payload: decodeJwt(token) };
  } catch {
    throw new TokenRejected({ kind: 'malformed', message: 'The token is not a readable JWT.' });
  }
}

/** `none` carries no signature and HS* would need a secret shared with the issuer: both refused. */
export function checkAlgorithm(alg: string | null): void {
  if (alg && OIDC_JWT_ALGORITHMS.includes(alg)) return;
  throw new TokenRejected({
    kind: 'algorithm',
    message: `Tokens signed with ${alg ?? 'no algorithm'} are refused: only asymmetric signatures (${OIDC_JWT_ALGORITHMS.join(', ')}) are accepted.`,
  });
}

type Entry = { until: number; jwks: ReturnType<typeof createRemoteJWKSet> };

/**
 * Verifies CI tokens against their issuer's published keys: the JWKS named by
 * `<issuer>/.well-known/openid-configuration`, discovered once an hour per issuer and cached by
 * jose (which refetches on an unknown `kid`, so key rotation upstream just works).
 */
export function createIssuerKeys({ clock, allowLoopbackHttp }: { clock: Clock; allowLoopbackHttp: boolean }) {
  const cache = new Map<string, Entry>();

  async function keySet(issuer: string) {
    const now = clock.now().getTime();
    const hit = cache.get(issuer);
    if (hit && hit.until > now) return hit.jwks;
    const unreachable = (why: string) =>
      new TokenRejected({
        kind: 'unreachable',
        message: `The issuer ${issuer} could not be asked for its keys: ${why}.`,
      });
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        headers: { accept: 'application/json' },
        redirect: 'error',
      });
      if (!res.ok) throw unreachable(`its discovery document answered ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (err) {
      if (err instanceof TokenRejected) throw err;
      throw unreachable('its discovery document could not be fetched');
    }
    // OpenID Connect Discovery §4.3: the document must name the very issuer it was fetched for.
    if (doc.issuer !== issuer) throw unreachable('its discovery document names another issuer');
    if (typeof doc.jwks_uri !== 'string') throw unreachable('its discovery document names no jwks_uri');
    let jwksUri: URL;
    try {
      jwksUri = new URL(doc.jwks_uri);
    } catch {
      throw unreachable('its jwks_uri is not a URL');
    }
    if (jwksUri.protocol !== 'https:' && !(allowLoopbackHttp && isLoopbackUrl(jwksUri))) {
      throw unreachable('its jwks_uri is not https');
    }
    const jwks = createRemoteJWKSet(jwksUri, { timeoutDuration: FETCH_TIMEOUT_MS });
    if (cache.size >= MAX_CACHED_ISSUERS) cache.delete(cache.keys().next().value!);
    cache.set(issuer, { until: now + DISCOVERY_TTL, jwks });
    return jwks;
  }

  return {
    /**
     * Signature, issuer, expiry and not-before (30 s leeway), with the algorithm allow-list. The
     * audience is left to the caller: each policy of the issuer names its own.
     */
    async verify(token: string, issuer: string): Promise<VerifiedToken> {
      checkAlgorithm(peek(token).alg);
      try {
        const { payload } = await jwtVerify(token, await keySet(issuer), {
          issuer,
          algorithms: OIDC_JWT_ALGORITHMS,
          clockTolerance: OIDC_CLOCK_TOLERANCE_SECONDS,
          currentDate: clock.now(),
          requiredClaims: ['exp'],
        });
        return { payload };
      } catch (err) {
        if (err instanceof TokenRejected) throw err;
        if (err instanceof joseErrors.JWTExpired) {
          throw new TokenRejected({ kind: 'expired', message: 'The token has expired.' });
        }
        if (err instanceof joseErrors.JWTClaimValidationFailed) {
          throw new TokenRejected({
            kind: 'invalid',
            message: `The token's "${err.claim}" claim is not acceptable (${err.reason}).`,
          });
        }
        if (
          err instanceof joseErrors.JWKSTimeout ||
          err instanceof joseErrors.JWKSInvalid ||
          err instanceof TypeError
        ) {
          throw new TokenRejected({
            kind: 'unreachable',
            message: `The keys of ${issuer} could not be fetched.`,
          });
        }
        throw new TokenRejected({
          kind: 'invalid',
          message: `The token's signature does not verify with the keys ${issuer} publishes.`,
        });
      }
    },
  };
}

export type IssuerKeys = ReturnType<typeof createIssuerKeys>;
