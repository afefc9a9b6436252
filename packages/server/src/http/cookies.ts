import type { FastifyRequest } from 'fastify';

/**
 * The pages' cookie names. Over HTTPS they carry the `__Host-` prefix: browsers then accept them
 * only with Secure, Path=/ and no Domain, so no other host (a sibling subdomain) can set or
 * overwrite them. Plain-HTTP servers (dev, loopback) cannot use the prefix.
 */
export function cookieNames(secure: boolean) {
  return secure
    ? { session: '__Host-latch_session', csrf: '__Host-latch_csrf', sso: '__Host-latch_sso' }
    : { session: 'latch_session', csrf: 'latch_csrf', sso: 'latch_sso' };
}

/**
 * The request's cookies, parsed on first use. @fastify/cookie is registered in the pages' scope
 * only (routes/web/respond.ts), with `hook: false`; page routes call this.
 */
export function cookiesOf(req: FastifyRequest): { [name: string]: string | undefined } {
  if (!req.cookies) {
    const header = req.headers.cookie;
    req.cookies = header ? req.server.parseCookie(header) : {};
  }
  return req.cookies;
}
