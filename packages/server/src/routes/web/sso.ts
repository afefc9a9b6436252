import type { FastifyReply } from 'fastify';
import type { RouteModule } from '../../app.js';
import type { ServerConfig } from '../../config.js';
import { cookieNames, cookiesOf } from '../../http/cookies.js';
import { SSO_CALLBACK_PATH, SSO_REQUEST_TTL } from '../../services/identity/sso.service.js';
import { fields, requestMeta, safeNext, seeOther, setSessionCookie, webScope } from './respond.js';

function ssoCookie(reply: FastifyReply, config: ServerConfig, state: string | null) {
  const name = cookieNames(config.secureCookies).sso;
  // Lax: the provider brings the browser back with a top-level GET, which carries Lax cookies.
  const attrs = { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/' } as const;
  if (state === null) reply.clearCookie(name, attrs);
  else reply.setCookie(name, state, { ...attrs, maxAge: SSO_REQUEST_TTL / 1000 });
}

/**
 * Single sign-on with the upstream OIDC provider: `/sso/start` sends the browser there (code flow,
 * PKCE S256, state and nonce), `/sso/callback` signs in and goes on to `next`, a same-origin path
 * only. Inside the CLI's loopback sign-in, `next` is the pending `/oauth/authorize` request.
 */
export const ssoRoutes: RouteModule = (app, { services, limiters, config }) =>
  webScope(app, (web) => {
    web.get('/sso/start', async (req, reply) => {
      await limiters.signIn.consume(`ip:${req.ip}`, reply);
      const { url, state } = await services.sso.start(safeNext(fields(req.query).next));
      ssoCookie(reply, config, state);
      return seeOther(reply, url);
    });

    web.get(SSO_CALLBACK_PATH, async (req, reply) => {
      const cookieState = cookiesOf(req)[cookieNames(config.secureCookies).sso];
      // Spent once per attempt either way: the state cookie is single-use below.
      ssoCookie(reply, config, null);
      const { session, next } = await services.sso.callback(fields(req.query), cookieState, requestMeta(req));
      setSessionCookie(reply, session, config);
      return seeOther(reply, safeNext(next) ?? '/login');
    });
  });
