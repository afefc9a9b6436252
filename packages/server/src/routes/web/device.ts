import { AppError } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { issueCsrfToken, verifyCsrf } from '../../http/csrf.js';
import { deviceConfirmPage, deviceDonePage, deviceEntryPage } from './pages.js';
import { currentUser, fields, refuseCsrf, requestMeta, sendPage, toLogin, webScope } from './respond.js';

/**
 * RFC 8628 verification pages: enter the code, see which client and machine ask, approve or deny
 * explicitly. Wrong codes are counted per IP, so user codes cannot be guessed by brute force: each
 * look-up takes a point first (in one step, so parallel guesses cannot all pass a check made before
 * any of them is counted) and a right code gives it back.
 */
export const deviceRoutes: RouteModule = (app, { services, limiters, config }) =>
  webScope(app, (web) => {
    const csrfFor = (
      req: Parameters<typeof issueCsrfToken>[0],
      reply: Parameters<typeof issueCsrfToken>[1],
    ) => issueCsrfToken(req, reply, { secure: config.secureCookies });

    web.get('/device', async (req, reply) => {
      const user = await currentUser(req, services, config);
      if (!user) return reply.redirect(toLogin(req), 302);
      // verification_uri_complete only prefills: the person still confirms the code and the machine.
      const userCode = (fields(req.query).user_code ?? '').slice(0, 32);
      return sendPage(
        reply,
        200,
        deviceEntryPage({ csrf: csrfFor(req, reply), userCode, error: null, email: user.user.email }),
      );
    });

    web.post('/device', async (req, reply) => {
      const form = fields(req.body);
      if (!verifyCsrf(req, form.csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      const userCode = (form.user_code ?? '').slice(0, 32);
      const user = await currentUser(req, services, config);
      if (!user)
        return reply.redirect(
          `/login?next=${encodeURIComponent(`/device?user_code=${encodeURIComponent(userCode)}`)}`,
          303,
        );
      await limiters.deviceCodeEntry.consume(req.ip);
      const device = await services.oauth.lookupUserCode(userCode);
      const csrf = csrfFor(req, reply);
      if (!device) {
        const error = 'That code is not valid or has expired. Check the code in your terminal.';
        return sendPage(reply, 400, deviceEntryPage({ csrf, userCode, error, email: user.user.email }));
      }
      await limiters.deviceCodeEntry.refund(req.ip);
      return sendPage(reply, 200, deviceConfirmPage({ csrf, device, email: user.user.email }));
    });

    web.post('/device/approve', async (req, reply) => {
      const form = fields(req.body);
      if (!verifyCsrf(req, form.csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      const user = await currentUser(req, services, config);
      if (!user) return reply.redirect('/login?next=%2Fdevice', 303);
      if (form.decision !== 'approve' && form.decision !== 'deny') {
        throw new AppError('INVALID_INPUT', 'Choose Approve or Deny.', {
          hint: 'Go back and press one of the buttons.',
        });
      }
      // Deciding is also a way to test codes, so it shares the wrong-code budget.
      await limiters.deviceCodeEntry.consume(req.ip);
      const decide = form.decision === 'approve' ? services.oauth.approveDevice : services.oauth.denyDevice;
      try {
        const done = await decide(form.user_code ?? '', user.user.id, requestMeta(req));
        await limiters.deviceCodeEntry.refund(req.ip);
        return sendPage(
          reply,
          200,
          deviceDonePage({ approved: form.decision === 'approve', deviceName: done.deviceName }),
        );
      } catch (err) {
        // Only a wrong code keeps its point; any other failure says nothing about the code.
        if (!(err instanceof AppError && err.code === 'NOT_FOUND'))
          await limiters.deviceCodeEntry.refund(req.ip);
        throw err;
      }
    });
  });
