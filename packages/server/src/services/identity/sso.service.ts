import { AppError, hashToken, MINUTE, normaliseEmail } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import * as oidc from 'openid-client';
import type { Clock } from '../../clock.js';
import type { ServerConfig } from '../../config.js';
import { newId } from '../../ids.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { recordAudit } from '../audit/audit.service.js';
import { findByTokenHash } from '../members/invitations.repo.js';
import type { IdentityService, RequestMeta } from './identity.service.js';
import * as linksRepo from './identity-links.repo.js';
import { type Upstream, unreachable } from './upstream.js';
import * as usersRepo from './users.repo.js';

/** Long enough to type a password at the provider, short enough that a stale state is useless. */
export const SSO_REQUEST_TTL = 10 * MINUTE;
export const SSO_CALLBACK_PATH = '/sso/callback';

export type SsoService = ReturnType<typeof createSsoService>;
type Claims = { sub: string; email?: unknown; email_verified?: unknown; name?: unknown };

function failed(message: string, hint: string, cause?: unknown): AppError {
  return new AppError('UNAUTHENTICATED', message, { hint, cause });
}

export function createSsoService({
  db,
  clock,
  config,
  identity,
  upstream,
}: {
  db: Db;
  clock: Clock;
  config: ServerConfig;
  identity: IdentityService;
  upstream: Upstream | null;
}) {
  const redirectUri = `${config.publicUrl}${SSO_CALLBACK_PATH}`;

  function requireUpstream(): Upstream {
    if (!upstream) {
      throw new AppError('NOT_FOUND', 'Single sign-on is not set up on this server.', {
        hint: 'Sign in with your email and password; an operator can set LATCH_OIDC_ISSUER to enable SSO.',
      });
    }
    return upstream;
  }

  /**
   * An invitation is an owner saying "this email may join": a sign-in started from its page
   * (`next` is `/invite/<token>`) may create that one account even with LATCH_OIDC_ALLOW_SIGNUP off.
   */
  async function invitedEmail(tx: DbOrTx, next: string | null): Promise<string | null> {
    const token = next ? /^\/invite\/([A-Za-z0-9_]{10,200})$/.exec(next)?.[1] : undefined;
    if (!token) return null;
    const row = await findByTokenHash(tx, hashToken(token));
    const invitation = row?.invitation;
    const live = invitation?.status === 'pending' && invitation.expiresAt > clock.now();
    return live ? invitation.email : null;
  }

  function signupAllowed(email: string, invited: string | null): boolean {
    const settings = upstream!.settings;
    if (invited !== null && invited === email) return true;
    if (!settings.allowSignup) return false;
    const domain = email.slice(email.lastIndexOf('@') + 1);
    return !settings.allowedDomains || settings.allowedDomains.includes(domain);
  }

  /** Links by subject, else by verified email, else (when allowed) a new account; never otherwise. */
  async function resolveUser(tx: DbOrTx, claims: Claims, meta: RequestMeta, next: string | null) {
    const { issuer } = upstream!.settings;
    // Two first sign-ins of one identity at once (two tabs, a double click) would both find no
    // link and both create: this lock makes the second wait, then find the first one's link.
    await tx.execute(
      sql`SELECT pg_advisory_xact_lock(hashtextextended(${`sso:${issuer}:${claims.sub}`}, 0))`,
    );
    const linked = await linksRepo.findBySubject(tx, issuer, claims.sub);
    if (linked) {
      await linksRepo.touch(tx, linked.link.id, clock.now());
      return linked.user;
    }
    const email = typeof claims.email === 'string' ? normaliseEmail(claims.email) : null;
    // An unverified address proves nothing: it could be anyone's, so it may not claim an account.
    if (!email || claims.email_verified !== true) {
      throw new AppError(
        'PERMISSION_DENIED',
        'The sign-in provider did not confirm a verified email address.',
        {
          hint: 'Verify your email address with the provider, then try again; or sign in with your password.',
        },
      );
    }
    let user = await usersRepo.findByEmail(tx, email);
    let via = 'email';
    if (!user) {
      if (!signupAllowed(email, await invitedEmail(tx, next))) {
        throw new AppError('PERMISSION_DENIED', `There is no Latchkey account for ${email}.`, {
          hint: 'Ask an owner of your org to invite you first, then sign in with SSO again.',
        });
      }
      const name = typeof claims.name === 'string' ? claims.name.slice(0, 200) : null;
      user = await identity.createUser(tx, { email, name }, meta, 'sso');
      via = 'signup';
    }
    const link = await linksRepo.insert(tx, {
      id: newId('idl'),
      userId: user.id,
      issuer,
      subject: claims.sub,
      email,
      createdAt: clock.now(),
      lastUsedAt: clock.now(),
    });
    await recordAudit(
      tx,
      { type: 'user', id: user.id, label: user.email, ...meta },
      {
        orgId: null,
        action: 'identity.linked',
        target: { type: 'identity_link', id: link.id },
        data: { issuer, subject: claims.sub, via },
      },
    );
    return user;
  }

  return {
    enabled: upstream !== null,

    /** Starts a sign-in: where to send the browser, and the state it must bring back (its cookie). */
    async start(next: string | null): Promise<{ url: string; state: string }> {
      const up = requireUpstream();
      const configuration = await up.discover();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const now = clock.now();
      await linksRepo.purgeRequests(db, now);
      await linksRepo.insertRequest(db, {
        stateHash: hashToken(state),
        codeVerifier,
        nonce,
        next,
        createdAt: now,
        expiresAt: new Date(now.getTime() + SSO_REQUEST_TTL),
      });
      const url = oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.href, state };
    },

    /**
     * The provider's answer. The state in the URL must be the one this browser's cookie holds and
     * must name an unexpired, unused request; the code is redeemed with that request's PKCE
     * verifier and the ID token must carry its nonce.
     */
    async callback(
      query: Record<string, string>,
      cookieState: string | undefined,
      meta: RequestMeta,
    ): Promise<{ session: string; next: string | null; email: string }> {
      const up = requireUpstream();
      const restart = 'Start again from the sign-in page and choose "Sign in with SSO".';
      const state = query.state ?? '';
      if (!state || state.length > 200 || !cookieState || cookieState !== state) {
        throw failed('This sign-in was not started in this browser, or it has already finished.', restart);
      }
      const request = await linksRepo.takeRequest(db, hashToken(state));
      if (!request || request.expiresAt <= clock.now()) {
        throw failed('This sign-in expired or was already used.', restart);
      }
      if (query.error) {
        throw failed(
          query.error === 'access_denied'
            ? 'Sign-in was cancelled at the provider.'
            : `The sign-in provider refused: ${query.error.slice(0, 100)}.`,
          restart,
        );
      }
      const configuration = await up.discover();
      const current = new URL(redirectUri);
      for (const [k, v] of Object.entries(query)) current.searchParams.set(k, v);
      let claims: Claims;
      try {
        const tokens = await oidc.authorizationCodeGrant(configuration, current, {
          pkceCodeVerifier: request.codeVerifier,
          expectedState: state,
          expectedNonce: request.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims() as Claims;
        // Some providers keep the email out of the ID token: ask UserInfo, for this same subject.
        if (claims.email === undefined) {
          claims = {
            ...(await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub)),
            ...claims,
          };
        }
      } catch (err) {
        if (err instanceof TypeError || (err as { code?: string }).code === 'OAUTH_TIMEOUT')
          throw unreachable(up.settings, err);
        throw failed("The sign-in provider's answer could not be verified.", restart, err);
      }
      return db.transaction(async (tx) => {
        const user = await resolveUser(tx, claims, meta, request.next);
        await identity.recordSignIn(tx, user, meta, 'sso');
        return { session: await identity.startSession(tx, user.id), next: request.next, email: user.email };
      });
    },
  };
}
