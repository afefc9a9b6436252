import { fastifyCookie } from '@fastify/cookie';
import { AppError } from '@latchkey/core';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../services/actor.js';
import type { Services } from '../services/index.js';
import { cookieNames } from './cookies.js';
import { sessionCsrfToken, tokensMatch } from './csrf.js';

/**
 * The dashboard's calls to /api/v1 carry the browser's session cookie instead of a bearer token.
 * A cookie is sent by the browser whoever asks, so a cookie alone is never enough: the request
 * must also carry the session's CSRF token in this header. Another site can neither read the
 * token (it is in the dashboard's same-origin HTML) nor send a custom header cross-origin without
 * a CORS preflight, which this server never grants.
 */
export const CSRF_HEADER = 'x-latch-csrf';

/** The session cookie's secret, when the request has one (API routes do not parse cookies otherwise). */
export function sessionSecretOf(req: FastifyRequest, secure: boolean): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const value = fastifyCookie.parse(header)[cookieNames(secure).session];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const refused = () =>
  new AppError('UNAUTHENTICATED', 'A browser session needs its CSRF token on API calls.', {
    hint: `Use the dashboard, or send Authorization: Bearer <token>. Browser calls send the ${CSRF_HEADER} header of the dashboard page.`,
  });

/**
 * The person behind a session cookie, for an /api/v1 call from the dashboard. Refused (401) when
 * the CSRF header is missing or wrong, when the browser says the request is cross-site, or when
 * the session is over.
 */
export async function authenticateSession(
  req: FastifyRequest,
  secret: string,
  services: Services,
): Promise<Principal> {
  if (req.headers['sec-fetch-site'] === 'cross-site') throw refused();
  const submitted = req.headers[CSRF_HEADER];
  if (typeof submitted !== 'string' || !tokensMatch(sessionCsrfToken(secret), submitted)) throw refused();
  const found = await services.identity.sessionUser(secret);
  if (!found) {
    throw new AppError('UNAUTHENTICATED', 'Your session has ended.', {
      hint: 'Sign in again at /login.',
    });
  }
  return {
    kind: 'user',
    userId: found.user.id,
    email: found.user.email,
    credential: { type: 'session', id: found.sessionId, scopes: null, expiresAt: null },
  };
}
