import type { FastifyReply } from 'fastify';
import type { RouteModule } from '../../app.js';
import { issueCsrfToken, verifyCsrf } from '../../http/csrf.js';
import { authorizationRedirect } from '../../services/oauth/code-flow.js';
import { consentPage, messagePage, returnToCliPage } from '../web/pages.js';
import { currentUser, fields, refuseCsrf, requestMeta, sendPage, toLogin, webScope } from '../web/respond.js';

/** The authorization request parameters that survive a detour through the sign-in page. */
const REQUEST_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'code_challenge',
  'code_challenge_method',
  'state',
  'device_name',
];

const cannotSignIn = (message: string) =>
  messagePage({
    title: 'Cannot sign in',
    message,
    hint: 'Run `latch login` again; if this keeps happening, update the CLI.',
  });

/**
 * Back to the CLI's loopback listener after the consent form. A 303 for 127.0.0.1, which the
 * pages' form-action allows; CSP cannot name an IPv6 literal, so for `[::1]` the browser would
 * refuse the redirect, and the page gives a link instead (a followed link is not a form action).
 */
function toLoopback(reply: FastifyReply, location: string, approved: boolean) {
  if (new URL(location).hostname !== '[::1]') return reply.redirect(location, 303);
  return sendPage(reply, 200, returnToCliPage({ location, approved }));
}

/**
 * RFC 6749 §4.1 + RFC 7636 + RFC 8252: the loopback browser flow. GET validates and shows consent
 * (after sign-in); POST records the decision and redirects to the CLI's loopback listener.
 */
export const authorizeRoutes: RouteModule = (app, { services, config }) =>
  webScope(app, (web) => {
    web.get('/oauth/authorize', async (req, reply) => {
      const check = services.oauth.checkAuthorizationRequest(fields(req.query));
      if (check.kind === 'show') return sendPage(reply, 400, cannotSignIn(check.message));
      if (check.kind === 'redirect') return reply.redirect(check.location, 302);
      const user = await currentUser(req, services, config);
      if (!user) return reply.redirect(toLogin(req), 302);
      const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
      return sendPage(reply, 200, consentPage({ csrf, request: check.request, email: user.user.email }));
    });

    web.post('/oauth/authorize', async (req, reply) => {
      const form = fields(req.body);
      if (!verifyCsrf(req, form.csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      const check = services.oauth.checkAuthorizationRequest(form);
      if (check.kind === 'show') return sendPage(reply, 400, cannotSignIn(check.message));
      if (check.kind === 'redirect') return toLoopback(reply, check.location, false);
      const user = await currentUser(req, services, config);
      if (!user) {
        const query = new URLSearchParams();
        for (const key of REQUEST_PARAMS) if (form[key] !== undefined) query.set(key, form[key]);
        return reply.redirect(`/login?next=${encodeURIComponent(`/oauth/authorize?${query}`)}`, 303);
      }
      const r = check.request;
      const meta = requestMeta(req);
      if (form.decision === 'approve') {
        const code = await services.oauth.createAuthorizationCode(
          {
            clientId: r.client.id,
            userId: user.user.id,
            redirectUri: r.redirectUri,
            codeChallenge: r.codeChallenge,
            deviceName: r.deviceName,
          },
          meta,
        );
        return toLoopback(reply, authorizationRedirect(r.redirectUri, { code, state: r.state }), true);
      }
      await services.oauth.denyAuthorization(
        { clientId: r.client.id, userId: user.user.id, deviceName: r.deviceName },
        meta,
      );
      const denied = { error: 'access_denied', error_description: 'The request was denied.', state: r.state };
      return toLoopback(reply, authorizationRedirect(r.redirectUri, denied), false);
    });
  });
