import { AppError } from '@latchkey/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '../../app.js';
import type { ServerConfig } from '../../config.js';
import { issueCsrfToken, verifyCsrf } from '../../http/csrf.js';
import type { InvitationLinkView } from '../../services/members/invitation-links.service.js';
import { type InvitePageMode, inviteClosedPage, invitePage, joinedPage } from './link-pages.js';
import {
  currentUser,
  fields,
  refuseCsrf,
  requestMeta,
  sendPage,
  setSessionCookie,
  webScope,
} from './respond.js';

type TokenParams = { token: string };

/**
 * Where the "Sign in with SSO" button leads, coming back to the invitation afterwards; null when
 * the server has no upstream OIDC provider (LATCH_OIDC_*). The SSO routes own `/sso/start`.
 */
export function ssoStartFor(config: ServerConfig, back: string): string | null {
  const oidc = (config as { oidc?: unknown }).oidc;
  return oidc ? `/sso/start?next=${encodeURIComponent(back)}` : null;
}

/**
 * `/invite/:token`, the page behind an invitation link. The token sits in the path; it has the
 * `lk_inv_` token shape, so the request log's redaction removes it like any other token.
 */
export const inviteRoutes: RouteModule = (app, { services, limiters, config }) =>
  webScope(app, (web) => {
    const pathOf = (token: string) => `/invite/${token}`;

    /** The invitation behind the link; a malformed or unknown one spends the sign-in budget. */
    async function open(req: FastifyRequest, reply: FastifyReply, token: string) {
      try {
        return await services.invitationLinks.open(token);
      } catch (err) {
        if (err instanceof AppError && (err.code === 'INVALID_INPUT' || err.code === 'NOT_FOUND'))
          await limiters.signIn.consume(`ip:${req.ip}`, reply);
        throw err;
      }
    }

    async function page(
      req: FastifyRequest,
      reply: FastifyReply,
      token: string,
      view: InvitationLinkView,
      status: number,
      extra: { error?: string | null; name?: string } = {},
    ) {
      if (view.state !== 'pending')
        return sendPage(reply, 410, inviteClosedPage(view.invitation, view.state));
      const user = await currentUser(req, services, config);
      const back = pathOf(token);
      let mode: InvitePageMode;
      if (user) {
        mode =
          user.user.email === view.invitation.email
            ? { kind: 'accept', email: user.user.email }
            : { kind: 'mismatch', email: user.user.email };
      } else if (view.hasAccount) {
        mode = { kind: 'signin', loginUrl: `/login?next=${encodeURIComponent(back)}` };
      } else {
        mode = { kind: 'signup', name: extra.name ?? '', ssoStart: ssoStartFor(config, back) };
      }
      const csrf = issueCsrfToken(req, reply, { secure: config.secureCookies });
      return sendPage(
        reply,
        status,
        invitePage({ csrf, action: back, invitation: view.invitation, mode, error: extra.error ?? null }),
      );
    }

    web.get<{ Params: TokenParams }>('/invite/:token', async (req, reply) => {
      const view = await open(req, reply, req.params.token);
      return page(req, reply, req.params.token, view, 200);
    });

    web.post<{ Params: TokenParams }>('/invite/:token', async (req, reply) => {
      const form = fields(req.body);
      if (!verifyCsrf(req, form.csrf, { secure: config.secureCookies })) return refuseCsrf(reply);
      await limiters.signIn.consume(`ip:${req.ip}`, reply);
      const { token } = req.params;
      const meta = requestMeta(req);
      try {
        let joined: Awaited<ReturnType<typeof services.invitationLinks.signUp>>;
        if (form.intent === 'accept') {
          const user = await currentUser(req, services, config);
          if (!user) return reply.redirect(`/login?next=${encodeURIComponent(pathOf(token))}`, 303);
          joined = await services.invitationLinks.acceptAsUser(user.user, token, meta);
        } else {
          const name = form.name ?? '';
          if ((form.password ?? '') !== (form.confirm ?? '')) {
            const view = await open(req, reply, token);
            return page(req, reply, token, view, 400, { error: 'The two passwords do not match.', name });
          }
          joined = await services.invitationLinks.signUp(
            token,
            { name, password: form.password ?? '' },
            meta,
          );
        }
        if (joined.session) setSessionCookie(reply, joined.session, config);
        return sendPage(
          reply,
          200,
          joinedPage({
            orgName: joined.org.name,
            role: joined.invitation.role,
            email: joined.email,
            publicUrl: config.publicUrl,
          }),
        );
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const closed = err.code === 'CONFLICT' && (err.details as { status?: string } | undefined)?.status;
        if (err.code === 'INVALID_INPUT' && (err.details as { field?: string })?.field !== 'token') {
          const view = await open(req, reply, token);
          return page(req, reply, token, view, 400, { error: err.message, name: form.name ?? '' });
        }
        if (closed) return page(req, reply, token, await open(req, reply, token), 410);
        throw err;
      }
    });
  });
