import { AppError, normaliseEmail, redactTokens } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { issueCsrfToken, verifyCsrf } from '../../http/csrf.js';
import { loginPage, signedInPage } from './pages.js';
import {
  clearSessionCookie,
  currentUser,
  fields,
  refuseCsrf,
  requestMeta,
  safeNext,
  sendPage,
  sessionCookie,
  setSessionCookie,
  webScope,
} from './respond.js';

/** Sign-in and sign-out pages. Where to go afterwards is `next`, a same-origin path only. */
export const loginRoutes: RouteModule = (app, { services, limiters, config }) =>
  webScope(app, (web) => {
    const devMode = () => config.mode === 'dev';

    web.get('/login', async (req, reply) => {
      const next = safeNext(fields(req.query).next);
      const user = await currentUser(req, services, config);
      if (user && next) return reply.redirect(next, 302);
      const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
      if (user) return sendPage(reply, 200, signedInPage({ csrf, email: user.user.email }));
      return sendPage(
        reply,
        200,
        loginPage({ csrf, next, email: '', error: null, devMode: devMode(), sso: services.sso.enabled }),
      );
    });

    web.post('/login', async (req, reply) => {
      const form = fields(req.body);
      if (!verifyCsrf(req, form.csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      const next = safeNext(form.next);
      const email = (form.email ?? '').trim();
      const meta = requestMeta(req);
      const again = (status: number, error: string) => {
        const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
        // Prefilled again for a retry, but never a credential pasted into the wrong field.
        return sendPage(
          reply,
          status,
          loginPage({
            csrf,
            next,
            email: redactTokens(email),
            error,
            devMode: devMode(),
            sso: services.sso.enabled,
          }),
        );
      };
      // Spent before any verification, so guessing costs attempts whether or not it succeeds.
      await limiters.signIn.consume(`ip:${req.ip}`, reply);

      let session: string;
      if (form.method === 'dev') {
        // Outside dev mode the service refuses with DEV_MODE_ONLY, whatever the email.
        if (devMode() && !normaliseEmail(email)) return again(400, 'Enter a valid email address.');
        session = (await services.identity.devSignIn(email, meta)).session;
      } else {
        // Keyed on the form the account is looked up by, so no other spelling of an address gets
        // a budget of its own. What does not normalise names no account: the per-IP budget covers it.
        const normal = normaliseEmail(email);
        const emailKey = normal ? `email:${normal}` : null;
        if (emailKey) await limiters.signIn.consume(emailKey, reply);
        try {
          session = (await services.identity.signInWithPassword(email, form.password ?? '', meta)).session;
          // The per-email budget guards against guessing; the owner's own sign-ins should not use it up.
          if (emailKey) await limiters.signIn.reset(emailKey);
        } catch (err) {
          if (err instanceof AppError && err.code === 'UNAUTHENTICATED') return again(401, err.message);
          throw err;
        }
      }
      setSessionCookie(reply, session, config);
      return reply.redirect(next ?? '/login', 303);
    });

    web.post('/logout', async (req, reply) => {
      if (!verifyCsrf(req, fields(req.body).csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      await services.identity.endSession(sessionCookie(req, config), requestMeta(req));
      clearSessionCookie(reply, config);
      return reply.redirect('/login', 303);
    });
  });
