import type { FastifyRequest } from 'fastify';

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
