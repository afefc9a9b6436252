import cookie from '@fastify/cookie';
import { redactTokens } from '@latchkey/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../../config.js';
import { cookieNames, cookiesOf } from '../../http/cookies.js';
import { rotateCsrfToken } from '../../http/csrf.js';
import { toAppError } from '../../http/errors.js';
import { SESSION_ABSOLUTE, type SessionUser } from '../../services/identity/identity.service.js';
import type { Services } from '../../services/index.js';
import type { Html } from './html.js';
import { messagePage } from './pages.js';

/**
 * Pages need no script and load nothing from elsewhere: their one stylesheet is the dashboard's
 * hashed asset on this origin. form-action also lists 127.0.0.1 because the consent form's answer
 * is a redirect to the CLI's loopback listener, and browsers apply form-action to redirects that
 * follow a form submission. CSP has no syntax for IPv6 literals (Chromium reports `[::1]` as an
 * invalid source), so an `[::1]` redirect URI gets a link instead of a redirect (authorize.ts).
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self' http://127.0.0.1:*",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export function sendPage(reply: FastifyReply, status: number, page: Html) {
  return reply.code(status).type('text/html; charset=utf-8').send(page.__html);
}

export function seeOther(reply: FastifyReply, location: string) {
  return reply.code(303).header('Location', location).send();
}

/** Web routes live in their own scope: HTML error pages and the security headers on every answer. */
export async function webScope(
  app: FastifyInstance,
  routes: (scope: FastifyInstance) => void,
): Promise<void> {
  await app.register(async (scope) => {
    // Cookies exist only here, on pages: registered in this scope, the plugin's onSend hook and
    // reply decorations stay off every API request. No parsing hook: routes call cookiesOf(req).
    await scope.register(cookie, { hook: false });
    // Pages are not part of the API: keep them out of the OpenAPI document.
    scope.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    scope.addHook('onSend', async (_req, reply) => {
      reply.headers(PAGE_HEADERS);
    });
    scope.setErrorHandler((err, req, reply) => {
      const appErr = toAppError(err);
      if (appErr.code === 'INTERNAL' || appErr.code === 'DATABASE_UNAVAILABLE') {
        req.log.error({ err: appErr.cause ?? err }, 'page failed');
      }
      if (appErr.retryAfterSeconds !== undefined)
        reply.header('Retry-After', String(appErr.retryAfterSeconds));
      const title =
        appErr.status === 429
          ? 'Too many attempts'
          : appErr.status >= 500
            ? 'Something went wrong'
            : 'Cannot continue';
      return sendPage(
        reply,
        appErr.status,
        messagePage({
          title,
          message: redactTokens(appErr.message),
          hint: appErr.hint ? redactTokens(appErr.hint) : null,
          code: appErr.code,
        }),
      );
    });
    routes(scope);
  });
}

/** A form or query object as plain strings; a repeated or non-string field counts as absent. */
export function fields(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!input || typeof input !== 'object') return out;
  for (const [key, value] of Object.entries(input)) if (typeof value === 'string') out[key] = value;
  return out;
}

export const requestMeta = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id });

/** The browser's session cookie (its secret), under this server's cookie name. */
export function sessionCookie(req: FastifyRequest, config: ServerConfig): string | undefined {
  return cookiesOf(req)[cookieNames(config.secureCookies).session];
}

export function currentUser(
  req: FastifyRequest,
  services: Services,
  config: ServerConfig,
): Promise<SessionUser | null> {
  return services.identity.sessionUser(sessionCookie(req, config));
}

/** Signing in: the session cookie, and a fresh CSRF token (forms now use the session's). */
export function setSessionCookie(reply: FastifyReply, secret: string, config: ServerConfig) {
  rotateCsrfToken(reply, { secure: config.secureCookies }, secret);
  reply.setCookie(cookieNames(config.secureCookies).session, secret, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: '/',
    maxAge: SESSION_ABSOLUTE / 1000,
  });
}

export function clearSessionCookie(reply: FastifyReply, config: ServerConfig) {
  rotateCsrfToken(reply, { secure: config.secureCookies });
  reply.clearCookie(cookieNames(config.secureCookies).session, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: '/',
  });
}

const SAME_ORIGIN = 'http://same-origin.invalid';

/**
 * Where to go after signing in: only a path on this server. The check runs on the result of the
 * WHATWG URL parser (as a browser would resolve the Location), not on the raw string: `/.//x`,
 * `/..//x` and `/%2e//x` all normalise to `//x`, which a browser reads as another host. So the
 * normalised path must not start with `//` or `/\`, and must resolve back to this origin.
 * Backslashes (browsers read them as slashes) and control characters are refused outright.
 */
export function safeNext(next: unknown): string | null {
  if (typeof next !== 'string' || next.length > 2000 || !next.startsWith('/') || next.startsWith('//'))
    return null;
  if (/[\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(next)) return null;
  let path: string;
  try {
    const url = new URL(next, SAME_ORIGIN);
    if (url.origin !== SAME_ORIGIN || url.username || url.password) return null;
    path = url.pathname + url.search;
  } catch {
    return null;
  }
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return null;
  // What a browser would do with the Location we send: it must land on this origin again.
  if (new URL(path, SAME_ORIGIN).origin !== SAME_ORIGIN) return null;
  return path;
}

/** The sign-in page, coming back to this request's own path afterwards. */
export function toLogin(req: FastifyRequest): string {
  const back = safeNext(req.url);
  return back ? `/login?next=${encodeURIComponent(back)}` : '/login';
}

export function refuseCsrf(reply: FastifyReply) {
  return sendPage(
    reply,
    403,
    messagePage({
      title: 'Form expired',
      message: 'This form expired or was sent from another site, so it was not accepted.',
      hint: 'Go back, reload the page and try again.',
      code: 'CSRF_FAILED',
    }),
  );
}
