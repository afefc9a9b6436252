import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookieNames, cookiesOf } from './cookies.js';

/**
 * CSRF protection for the server-rendered forms: a token in a hidden field that another site
 * cannot know.
 *
 * - Signed in, the token is bound to the session: an HMAC keyed with the session's secret (an
 *   HttpOnly cookie). Another session's token, or a token planted with a cookie before sign-in,
 *   does not match; signing in starts a new session, so the token changes with it.
 * - Before sign-in (the sign-in and setup forms) there is no session: double-submit, a random
 *   token in an HttpOnly cookie and in the field. Sign-in and sign-out replace that cookie.
 *
 * Over HTTPS both cookies are `__Host-` cookies (cookies.ts): a sibling subdomain cannot set them.
 */
export const CSRF_FIELD = 'csrf';
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
type CsrfOptions = { secure: boolean };

const sessionBound = (sessionSecret: string) =>
  createHmac('sha256', sessionSecret).update('latchkey form token v1').digest('base64url');

/** The session's token: in the dashboard's page, for its forms and its API calls (session-auth.ts). */
export const sessionCsrfToken = sessionBound;

/** Constant-time comparison of a submitted token with the expected one. */
export function tokensMatch(expected: string, submitted: string): boolean {
  if (!TOKEN_RE.test(submitted)) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(submitted));
}

function setAnonymousToken(reply: FastifyReply, opts: CsrfOptions): string {
  const token = randomBytes(32).toString('base64url');
  reply.setCookie(cookieNames(opts.secure).csrf, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secure,
    path: '/',
  });
  return token;
}

/** What the form must carry for this request: bound to its session if it has one. */
function expectedToken(req: FastifyRequest, opts: CsrfOptions): string | null {
  const names = cookieNames(opts.secure);
  const cookies = cookiesOf(req);
  const session = cookies[names.session];
  if (session) return sessionBound(session);
  const anonymous = cookies[names.csrf];
  return anonymous && TOKEN_RE.test(anonymous) ? anonymous : null;
}

/** The token for a form page: the session's, or the browser's pre-sign-in one (set if missing). */
export function issueCsrfToken(req: FastifyRequest, reply: FastifyReply, opts: CsrfOptions): string {
  // Reusing the token keeps several open tabs working, and keeps a re-rendered form byte-identical.
  return expectedToken(req, opts) ?? setAnonymousToken(reply, opts);
}

/**
 * At sign-in and sign-out: a new pre-sign-in token, so one seen or planted before cannot be
 * used after. Returns the token for a form on the page that answers the sign-in.
 */
export function rotateCsrfToken(reply: FastifyReply, opts: CsrfOptions, sessionSecret?: string): string {
  const anonymous = setAnonymousToken(reply, opts);
  return sessionSecret ? sessionBound(sessionSecret) : anonymous;
}

export function verifyCsrf(req: FastifyRequest, submitted: unknown, opts: CsrfOptions): boolean {
  // Browsers say when a request comes from another site; such a form post is never ours.
  if (req.headers['sec-fetch-site'] === 'cross-site') return false;
  const expected = expectedToken(req, opts);
  if (!expected || typeof submitted !== 'string' || !TOKEN_RE.test(submitted)) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(submitted));
}
