import type { SessionUser } from './types.js';

/** What a session resolver sees of the request. */
export type SessionInput = {
  headers: Record<string, string | undefined>;
  method: string;
  path: string;
  ip: string;
};

export type SessionResolver = (req: SessionInput) => SessionUser | null | Promise<SessionUser | null>;

/** OIDC access or ID tokens (`Authorization: Bearer <jwt>`), checked against the issuer's JWKS. */
export type OidcSessionOptions = {
  issuer: string;
  audience: string | string[];
  /** Default: `jwks_uri` from the issuer's `/.well-known/openid-configuration`. */
  jwksUri?: string;
  algorithms?: string[];
  /** Seconds of clock skew allowed on exp/nbf (default 30). */
  clockTolerance?: number;
};

export type SessionOption = SessionResolver | OidcSessionOptions;

/** Why a session was refused; the engine turns it into a 401 with the shared codes. */
export class SessionError extends Error {
  constructor(
    readonly code: 'UNAUTHENTICATED' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED',
    message: string,
  ) {
    super(message);
  }
}

type Jose = typeof import('jose');

/**
 * The session check for `session` routes. jose is loaded on first use only, so apps that bring
 * their own resolver never load it. The JWKS is fetched lazily and cached by jose, which also
 * refetches when a token names a key id it has not seen (key rotation at the issuer).
 */
export function createSessionCheck(option: SessionOption): (req: SessionInput) => Promise<SessionUser> {
  if (typeof option === 'function') {
    return async (req) => {
      const user = await option(req);
      if (!user) throw new SessionError('UNAUTHENTICATED', 'This needs a signed-in user.');
      return user;
    };
  }
  let setup: Promise<{ jose: Jose; jwks: ReturnType<Jose['createRemoteJWKSet']> }> | null = null;
  const prepare = async () => {
    const jose = await import('jose').catch(() => {
      throw new Error('OIDC sessions need the jose package: npm i jose');
    });
    let uri = option.jwksUri;
    if (!uri) {
      const res = await fetch(`${option.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
      if (!res.ok) throw new Error(`OIDC discovery at ${option.issuer} answered HTTP ${res.status}`);
      uri = ((await res.json()) as { jwks_uri?: string }).jwks_uri;
      if (!uri) throw new Error(`OIDC discovery at ${option.issuer} names no jwks_uri`);
    }
    return { jose, jwks: jose.createRemoteJWKSet(new URL(uri)) };
  };
  return async (req) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m)
      throw new SessionError(
        'UNAUTHENTICATED',
        'This needs a signed-in user (Authorization: Bearer <token>).',
      );
    setup ??= prepare().catch((err) => {
      setup = null; // an unreachable issuer is retried by the next request
      throw err;
    });
    const { jose, jwks } = await setup;
    try {
      const { payload } = await jose.jwtVerify(m[1]!, jwks, {
        issuer: option.issuer,
        audience: option.audience,
        clockTolerance: option.clockTolerance ?? 30,
        ...(option.algorithms ? { algorithms: option.algorithms } : {}),
      });
      if (typeof payload.sub !== 'string')
        throw new SessionError('INVALID_TOKEN', 'The session token has no subject.');
      return {
        ...payload,
        id: payload.sub,
        email: typeof payload.email === 'string' ? payload.email : undefined,
      };
    } catch (err) {
      if (err instanceof SessionError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED')
        throw new SessionError('TOKEN_EXPIRED', 'The session token has expired.');
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC') throw err;
      throw new SessionError('INVALID_TOKEN', 'The session token is not valid for this app.');
    }
  };
}
