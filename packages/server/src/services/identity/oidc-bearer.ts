import { AppError, hashToken, MINUTE } from '@latchkey/core';
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import type { Principal } from '../actor.js';
import * as linksRepo from './identity-links.repo.js';
import { type Upstream, unreachable } from './upstream.js';

/** Asymmetric algorithms only: no `none`, and no HMAC, whose key would be the client secret. */
export const OIDC_JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
/** Clocks of two machines disagree a little; a token is still refused within 30 s of its expiry. */
export const OIDC_CLOCK_TOLERANCE_SECONDS = 30;
/** UserInfo answers for opaque tokens: short, so a token revoked upstream stops working soon. */
export const USERINFO_CACHE_TTL = MINUTE;
const USERINFO_NEGATIVE_TTL = 10_000;
const USERINFO_CACHE_MAX = 10_000;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const OPAQUE_SHAPE = /^[\x21-\x7e]{8,4096}$/;

type Identity = { sub: string; expiresAt: Date | null };
type Cached = { until: number; identity: Identity | null };

const SIGN_IN_HINT = 'Sign in with SSO once in the browser (the sign-in page), then use the token again.';

function invalid(message: string, hint = 'Get a new token from your sign-in provider.'): AppError {
  return new AppError('INVALID_TOKEN', message, { hint });
}

/**
 * Bearer tokens issued by the upstream OIDC provider: a JWT is verified locally against the
 * provider's JWKS (issuer, audience, expiry, an allow-list of algorithms); anything else is asked
 * about at UserInfo, with a short, bounded cache keyed by the token's SHA-256 (never the token).
 * Either way the request acts as the Latchkey user the identity is linked to.
 */
export function createOidcBearer({ db, clock, upstream }: { db: Db; clock: Clock; upstream: Upstream }) {
  const { settings } = upstream;
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  const userinfoCache = new Map<string, Cached>();

  async function keySet() {
    if (jwks) return jwks;
    const jwksUri = (await upstream.discover()).serverMetadata().jwks_uri;
    if (!jwksUri) throw unreachable(settings, new Error('the discovery document names no jwks_uri'));
    jwks = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000 });
    return jwks;
  }

  async function verifyJwt(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: OIDC_JWT_ALGORITHMS,
        clockTolerance: OIDC_CLOCK_TOLERANCE_SECONDS,
        currentDate: clock.now(),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) {
        throw new AppError('TOKEN_EXPIRED', 'The OIDC token has expired.', {
          hint: 'Get a fresh token from your sign-in provider.',
        });
      }
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        const which =
          err.claim === 'iss' ? 'another issuer' : err.claim === 'aud' ? 'another audience' : null;
        throw invalid(
          which
            ? `The OIDC token was issued for ${which}.`
            : `The OIDC token's "${err.claim}" claim is not acceptable.`,
          `Latchkey accepts tokens from ${settings.issuer} for the audience ${settings.audience}.`,
        );
      }
      // The key set could not be fetched: the provider's fault, not the token's.
      if (err instanceof joseErrors.JWKSTimeout || err instanceof TypeError) throw unreachable(settings, err);
      throw invalid('The OIDC token could not be verified (signature, algorithm or format).');
    }
    return { sub: payload.sub!, expiresAt: payload.exp ? new Date(payload.exp * 1000) : null };
  }

  async function askUserInfo(token: string): Promise<Identity> {
    const key = hashToken(token).toString('base64url');
    const now = clock.now().getTime();
    const hit = userinfoCache.get(key);
    if (hit && hit.until > now) {
      if (!hit.identity) throw invalid('The OIDC token was not accepted by the sign-in provider.');
      return hit.identity;
    }
    const configuration = await upstream.discover();
    let identity: Identity | null;
    try {
      const info = await oidc.fetchUserInfo(configuration, token, oidc.skipSubjectCheck);
      identity = { sub: info.sub, expiresAt: null };
    } catch (err) {
      if (!(err instanceof oidc.ResponseBodyError || err instanceof oidc.WWWAuthenticateChallengeError))
        throw unreachable(settings, err);
      identity = null;
    }
    if (userinfoCache.size >= USERINFO_CACHE_MAX) {
      // Oldest first (a Map keeps insertion order): drop a tenth rather than clearing at once.
      let drop = USERINFO_CACHE_MAX / 10;
      for (const k of userinfoCache.keys()) {
        if (drop-- <= 0) break;
        userinfoCache.delete(k);
      }
    }
    userinfoCache.set(key, {
      until: now + (identity ? USERINFO_CACHE_TTL : USERINFO_NEGATIVE_TTL),
      identity,
    });
    if (!identity) throw invalid('The OIDC token was not accepted by the sign-in provider.');
    return identity;
  }

  return async function authenticateOidc(token: string): Promise<Principal> {
    let identity: Identity;
    if (JWT_SHAPE.test(token) && token.length <= 16_384) identity = await verifyJwt(token);
    else if (OPAQUE_SHAPE.test(token)) identity = await askUserInfo(token);
    else throw invalid('The token is malformed.', 'Copy the whole token again, or run `latch login`.');
    const linked = await linksRepo.findBySubject(db, settings.issuer, identity.sub);
    if (!linked) {
      throw new AppError('UNAUTHENTICATED', 'This OIDC identity is not linked to a Latchkey account.', {
        hint: SIGN_IN_HINT,
      });
    }
    return {
      kind: 'user',
      userId: linked.user.id,
      email: linked.user.email,
      // Acts as the person, like a browser session: no scopes cap it.
      credential: { type: 'oidc', id: linked.link.id, scopes: null, expiresAt: identity.expiresAt },
    };
  };
}
