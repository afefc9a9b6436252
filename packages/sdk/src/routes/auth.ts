import {
  type ErrorCode,
  parseToken,
  platformKindOf,
  type ScopeGrants,
  type VerifyResult,
} from '@latchkey/core';
import type { Verifier } from '../verifier/verifier.js';
import { errorBody } from './responses.js';
import { SessionError, type SessionInput } from './session.js';
import type { ApiKeyAuth, AuthInfo, RouteResponse, SessionUser } from './types.js';

export const NO_AUTH: AuthInfo = Object.freeze({ kind: 'none', can: () => false as const });

function canFrom(grants: ScopeGrants | null | undefined) {
  return (action: string, entity: string): boolean => {
    const actions = grants && Object.hasOwn(grants, entity) ? grants[entity] : undefined;
    return actions?.includes(action) === true;
  };
}

/** One frozen auth object per cached verification answer: a cache hit allocates nothing new. */
const apiKeyAuths = new WeakMap<VerifyResult, ApiKeyAuth>();
export function apiKeyAuth(result: VerifyResult): ApiKeyAuth {
  let auth = apiKeyAuths.get(result);
  if (!auth) {
    auth = Object.freeze({
      kind: 'apiKey' as const,
      keyId: result.keyId!,
      name: result.name ?? '',
      scope: result.scope ?? '',
      grants: result.grants ?? {},
      metadata: result.metadata ?? {},
      environment: result.environment ?? '',
      expiresAt: result.expiresAt,
      can: canFrom(result.grants),
    });
    apiKeyAuths.set(result, auth);
  }
  return auth;
}

export function sessionAuth(user: SessionUser): AuthInfo {
  return { kind: 'session', user, can: canFrom(user.grants) };
}

/** RFC 6750: the realm names the project, so a client can tell which key it needs. */
function challenge(realm: string, extra = ''): string {
  return `Bearer realm="${realm}"${extra}`;
}

export function authError(
  status: 401 | 403 | 503,
  code: ErrorCode,
  message: string,
  hint: string,
  www?: string,
): RouteResponse {
  return { status, body: errorBody(code, message, hint), headers: www ? { 'www-authenticate': www } : {} };
}

/** The presented API key: `Authorization: Bearer <key>`, or `X-Api-Key: <key>`. */
export function presentedKey(headers: Record<string, string | undefined>): string | null {
  const header = headers.authorization;
  if (header !== undefined) {
    // On every request: a prefix test and a trim instead of a regular expression with captures.
    if (header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
    const key = header.slice(7).trim();
    return key && !/\s/.test(key) ? key : null;
  }
  return headers['x-api-key']?.trim() || null;
}

/** A verification answer that is not VALID, as the HTTP answer the route gives. */
export function refused(
  result: VerifyResult,
  realm: string,
  scope: string,
  environment: string,
): RouteResponse {
  const invalid = `, error="invalid_token"`;
  switch (result.code) {
    case 'EXPIRED':
      return authError(
        401,
        'TOKEN_EXPIRED',
        'This API key has expired.',
        'Ask for a new key.',
        challenge(realm, invalid),
      );
    case 'REVOKED':
      return authError(
        401,
        'TOKEN_REVOKED',
        'This API key was revoked.',
        'Ask for a new key.',
        challenge(realm, invalid),
      );
    case 'WRONG_ENVIRONMENT':
      return authError(
        403,
        'PERMISSION_DENIED',
        `This API key belongs to another environment (${result.environment}); this app serves ${environment}.`,
        `Use a key created for ${environment}.`,
        challenge(realm, `, error="insufficient_scope"`),
      );
    case 'INSUFFICIENT_SCOPE':
      return authError(
        403,
        'PERMISSION_DENIED',
        `This route needs scope ${scope}; the key has scope ${result.scope}.`,
        `Use a key with scope ${scope}, or one whose grants cover it.`,
        challenge(realm, `, error="insufficient_scope", scope="${scope}"`),
      );
    default:
      return authError(
        401,
        'INVALID_TOKEN',
        'This API key is not valid.',
        'Check that you copied the whole key, and that it belongs to this app.',
        challenge(realm, invalid),
      );
  }
}

export type KeyCheck =
  | { ok: true; auth: ApiKeyAuth; result: VerifyResult }
  | { ok: false; response: RouteResponse; result: VerifyResult | null };

function judge(result: VerifyResult, verifier: Verifier, realm: string, scope: string): KeyCheck {
  if (!result.valid)
    return { ok: false, response: refused(result, realm, scope, verifier.environment), result };
  return { ok: true, auth: apiKeyAuth(result), result };
}

const UNAVAILABLE: KeyCheck = {
  ok: false,
  result: null,
  response: {
    ...authError(503, 'SERVICE_UNAVAILABLE', 'API keys cannot be checked right now.', 'Try again shortly.'),
    headers: { 'retry-after': '5' },
  },
};

/**
 * `apiKey:<scope>` routes: the key must be valid, of this environment, and cover the scope. A
 * cached answer is judged synchronously; only a cache miss returns a promise.
 */
export function checkApiKey(
  verifier: Verifier,
  headers: Record<string, string | undefined>,
  realm: string,
  scope: string,
): KeyCheck | Promise<KeyCheck> {
  const key = presentedKey(headers);
  if (!key) {
    return {
      ok: false,
      result: null,
      response: authError(
        401,
        'UNAUTHENTICATED',
        'This route needs an API key.',
        'Send Authorization: Bearer <your API key>.',
        challenge(realm),
      ),
    };
  }
  // Platform prefixes all start with lk_; only those are parsed here (parsing costs as much as
  // the verification hash, so it is not done for every request).
  const parsed = key.startsWith('lk_') ? parseToken(key) : null;
  const kind = parsed && platformKindOf(parsed.prefix);
  if (kind) {
    // SPEC 2: a platform credential never calls an app route, and is told which kind would.
    return {
      ok: false,
      result: null,
      response: authError(
        401,
        'WRONG_TOKEN_KIND',
        `This is a Latchkey ${kind === 'pat' ? 'personal access token' : 'platform credential'}, not an API key of this app.`,
        'Create an app API key with `latch api-keys create --scope <scope>`.',
        challenge(realm, `, error="invalid_token"`),
      ),
    };
  }
  // One hash (and at most one parse) per request: a hit is answered at once, a miss asks.
  const answer = verifier.verifySync(key, { scope, report: false });
  if (!(answer instanceof Promise)) return judge(answer, verifier, realm, scope);
  return answer.then(
    (result) => judge(result, verifier, realm, scope),
    // The server is unreachable and the key is not cached (or past the offline grace).
    () => UNAVAILABLE,
  );
}

export async function checkSession(
  check: (req: SessionInput) => Promise<SessionUser>,
  input: SessionInput,
  realm: string,
): Promise<{ ok: true; auth: AuthInfo } | { ok: false; response: RouteResponse }> {
  try {
    return { ok: true, auth: sessionAuth(await check(input)) };
  } catch (err) {
    if (err instanceof SessionError) {
      const www =
        err.code === 'UNAUTHENTICATED' ? challenge(realm) : challenge(realm, `, error="invalid_token"`);
      return { ok: false, response: authError(401, err.code, err.message, 'Sign in again.', www) };
    }
    return {
      ok: false,
      response: authError(
        503,
        'SERVICE_UNAVAILABLE',
        'Sessions cannot be checked right now.',
        'Try again shortly.',
      ),
    };
  }
}
