import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookiesOf } from './cookies.js';

/**
 * Double-submit CSRF protection for the server-rendered forms: the token sits in an HttpOnly
 * cookie and in a hidden field. Another site can make a browser send the cookie but cannot read it,
 * so it cannot put the same value in the form.
 */
export const CSRF_COOKIE = 'latch_csrf';
export const CSRF_FIELD = 'csrf';
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** The token for a form page: the browser's existing one, or a new one set as a cookie. */
export function issueCsrfToken(req: FastifyRequest, reply: FastifyReply, opts: { secure: boolean }): string {
  const existing = cookiesOf(req)[CSRF_COOKIE];
  // Reusing it keeps several open tabs working, and keeps a re-rendered form byte-identical.
  if (existing && TOKEN_RE.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  reply.setCookie(CSRF_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: opts.secure, path: '/' });
  return token;
}

export function verifyCsrf(req: FastifyRequest, submitted: unknown): boolean {
  // Browsers say when a request comes from another site; such a form post is never ours.
  if (req.headers['sec-fetch-site'] === 'cross-site') return false;
  const cookie = cookiesOf(req)[CSRF_COOKIE];
  if (!cookie || !TOKEN_RE.test(cookie) || typeof submitted !== 'string' || !TOKEN_RE.test(submitted))
    return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted));
}
