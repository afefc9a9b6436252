import { AppError } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { issueCsrfToken, verifyCsrf } from '../../http/csrf.js';
import { messagePage, setupDonePage, setupPage } from './pages.js';
import { fields, refuseCsrf, requestMeta, sendPage, setSessionCookie, webScope } from './respond.js';

const invalidLinkPage = () =>
  messagePage({
    title: 'Setup link not valid',
    message: 'This setup link is invalid, expired or already used.',
    hint: 'Sign in at /login. A new link is printed only when the server starts on an empty database.',
  });

/** The one-time page that creates the first owner (the link `latch server` prints on an empty database). */
export const setupRoutes: RouteModule = (app, { services, limiters, config }) =>
  webScope(app, (web) => {
    web.get('/setup', async (req, reply) => {
      const token = fields(req.query).token ?? '';
      if (!(await services.identity.checkSetupToken(token))) return sendPage(reply, 404, invalidLinkPage());
      const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
      return sendPage(reply, 200, setupPage({ csrf, token, email: '', error: null }));
    });

    web.post('/setup', async (req, reply) => {
      const form = fields(req.body);
      if (!verifyCsrf(req, form.csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      await limiters.signIn.consume(`ip:${req.ip}`, reply);
      const token = form.token ?? fields(req.query).token ?? '';
      const email = (form.email ?? '').trim();
      const again = (error: string) => {
        const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
        return sendPage(reply, 400, setupPage({ csrf, token, email, error }));
      };
      if ((form.password ?? '') !== (form.confirm ?? '')) return again('The two passwords do not match.');
      try {
        const owner = await services.identity.completeSetup(
          token,
          email,
          form.password ?? '',
          requestMeta(req),
        );
        setSessionCookie(reply, owner.session, config);
        return sendPage(reply, 200, setupDonePage({ email: owner.email, publicUrl: config.publicUrl }));
      } catch (err) {
        if (err instanceof AppError && err.code === 'INVALID_INPUT') return again(err.message);
        if (err instanceof AppError && err.code === 'NOT_FOUND')
          return sendPage(reply, 404, invalidLinkPage());
        throw err;
      }
    });
  });
