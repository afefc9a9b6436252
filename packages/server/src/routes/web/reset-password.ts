import { AppError, normaliseEmail, redactTokens } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { issueCsrfToken, verifyCsrf } from '../../http/csrf.js';
import { forgotPasswordPage, resetPasswordPage } from './link-pages.js';
import { messagePage } from './pages.js';
import { fields, refuseCsrf, requestMeta, sendPage, setSessionCookie, webScope } from './respond.js';

type TokenParams = { token: string };

const invalidLinkPage = () =>
  messagePage({
    title: 'Reset link not valid',
    message: 'This password-reset link is invalid, expired or already used.',
    hint: 'Ask for a new link from the sign-in page, or ask the server operator for one.',
  });

const noMailPage = () =>
  messagePage({
    title: 'Password reset',
    message: 'This server cannot send email, so it cannot mail you a reset link.',
    hint: 'Ask the server operator to run `latch server reset-password <your email>` and give you the link.',
  });

/**
 * Password reset: `/reset-password` asks for a link by email (only with a mail server), and
 * `/reset-password/:token` (emailed, or printed by `latch server reset-password`) sets the password.
 */
export const resetPasswordRoutes: RouteModule = (app, { services, limiters, config }) =>
  webScope(app, (web) => {
    const resets = services.passwordResets;

    web.get('/reset-password', async (req, reply) => {
      if (!resets.canEmailResetLinks()) return sendPage(reply, 200, noMailPage());
      const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
      return sendPage(reply, 200, forgotPasswordPage({ csrf, email: '', error: null }));
    });

    web.post('/reset-password', async (req, reply) => {
      const form = fields(req.body);
      if (!verifyCsrf(req, form.csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      if (!resets.canEmailResetLinks()) return sendPage(reply, 200, noMailPage());
      const email = (form.email ?? '').trim();
      await limiters.signIn.consume(`ip:${req.ip}`, reply);
      const normal = normaliseEmail(email);
      if (!normal) {
        const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
        return sendPage(
          reply,
          400,
          forgotPasswordPage({ csrf, email: redactTokens(email), error: 'Enter a valid email address.' }),
        );
      }
      // Per address too: nobody can flood someone's inbox with reset mail.
      await limiters.signIn.consume(`reset:${normal}`, reply);
      await resets.requestByEmail(normal, requestMeta(req));
      // The same answer whether or not the address has an account.
      return sendPage(
        reply,
        200,
        messagePage({
          title: 'Check your email',
          message: `If ${normal} has an account here, a link to choose a new password is on its way.`,
          hint: 'The link works once, within an hour. Nothing arrived? Check the spam folder, or ask again.',
        }),
      );
    });

    web.get<{ Params: TokenParams }>('/reset-password/:token', async (req, reply) => {
      const found = await resets.check(req.params.token).catch(async (err) => {
        if (err instanceof AppError && err.code === 'INVALID_INPUT')
          await limiters.signIn.consume(`ip:${req.ip}`, reply);
        throw err;
      });
      if (!found) {
        await limiters.signIn.consume(`ip:${req.ip}`, reply);
        return sendPage(reply, 404, invalidLinkPage());
      }
      const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
      return sendPage(
        reply,
        200,
        resetPasswordPage({
          csrf,
          action: `/reset-password/${req.params.token}`,
          email: found.email,
          error: null,
        }),
      );
    });

    web.post<{ Params: TokenParams }>('/reset-password/:token', async (req, reply) => {
      const form = fields(req.body);
      if (!verifyCsrf(req, form.csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      await limiters.signIn.consume(`ip:${req.ip}`, reply);
      const { token } = req.params;
      const again = async (error: string) => {
        const found = await resets.check(token);
        if (!found) return sendPage(reply, 404, invalidLinkPage());
        const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
        return sendPage(
          reply,
          400,
          resetPasswordPage({ csrf, action: `/reset-password/${token}`, email: found.email, error }),
        );
      };
      if ((form.password ?? '') !== (form.confirm ?? '')) return again('The two passwords do not match.');
      try {
        const signedIn = await resets.reset(token, form.password ?? '', requestMeta(req));
        setSessionCookie(reply, signedIn.session, config);
        return sendPage(
          reply,
          200,
          messagePage({
            title: 'Password changed',
            message: `Your new password is set, and you are signed in as ${signedIn.email}.`,
            hint: 'Every other browser signed in to this account was signed out.',
          }),
        );
      } catch (err) {
        if (
          err instanceof AppError &&
          err.code === 'INVALID_INPUT' &&
          (err.details as { field?: string })?.field === 'password'
        )
          return again(err.message);
        if (err instanceof AppError && err.code === 'NOT_FOUND')
          return sendPage(reply, 404, invalidLinkPage());
        throw err;
      }
    });
  });
