import type { FastifyRequest } from 'fastify';

/**
 * The request's cookies, parsed on first use. @fastify/cookie is registered with `hook: false`
 * so the API's hot routes do not parse cookies they never read; page and OAuth routes call this.
 */
export function cookiesOf(req: FastifyRequest): { [name: string]: string | undefined } {
  if (!req.cookies) {
    const header = req.headers.cookie;
    req.cookies = header ? req.server.parseCookie(header) : {};
  }
  return req.cookies;
}
