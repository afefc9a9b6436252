import { randomBytes } from 'node:crypto';
import { AppError, DAY, hashToken } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { type AuditActor, recordAudit } from '../audit/audit.service.js';
import type { RequestMeta } from '../identity/identity.service.js';
import * as usersRepo from '../identity/users.repo.js';
import * as tokensRepo from '../tokens/tokens.repo.js';
import type { TokensService } from '../tokens/tokens.service.js';
import {
  cleanDeviceName,
  findClient,
  isCodeChallenge,
  isLoopbackRedirectUri,
  type OAuthClient,
  requireClient,
  verifierMatches,
} from './clients.js';
import * as repo from './oauth.repo.js';
import { OAuthError } from './oauth-error.js';
import { type TokenResponse, tokenResponse } from './token-response.js';

export const AUTHORIZATION_CODE_TTL_SECONDS = 60;

export type AuthorizationRequest = {
  client: OAuthClient;
  redirectUri: string;
  codeChallenge: string;
  state: string | null;
  deviceName: string;
};

/**
 * Either a request to show consent for, an error to send back to the client's redirect URI, or an
 * error to show on a page: with an unknown client or a non-loopback redirect URI there is no
 * trustworthy place to redirect to (RFC 6749 §4.1.2.1), so the browser must not be sent anywhere.
 */
export type AuthorizationCheck =
  | { kind: 'ok'; request: AuthorizationRequest }
  | { kind: 'show'; message: string }
  | { kind: 'redirect'; location: string };

/** Adds the answer to the client's redirect URI, keeping any query it already has. */
export function authorizationRedirect(redirectUri: string, params: Record<string, string | null>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value !== null) url.searchParams.set(key, value);
  return url.href;
}

export function checkAuthorizationRequest(params: Record<string, unknown>): AuthorizationCheck {
  const client = findClient(params.client_id);
  if (!client)
    return { kind: 'show', message: 'This sign-in link names an unknown application (client_id).' };
  if (!isLoopbackRedirectUri(params.redirect_uri)) {
    return {
      kind: 'show',
      message:
        'This sign-in link has a redirect_uri that is not allowed: only http://127.0.0.1:<port>/… or http://[::1]:<port>/… are.',
    };
  }
  const redirectUri = params.redirect_uri;
  const state = typeof params.state === 'string' && params.state.length <= 1000 ? params.state : null;
  const fail = (error: string, description: string): AuthorizationCheck => ({
    kind: 'redirect',
    location: authorizationRedirect(redirectUri, { error, error_description: description, state }),
  });
  if (params.state !== undefined && state === null)
    return fail('invalid_request', 'state must be at most 1000 characters.');
  if (params.response_type !== 'code')
    return fail('unsupported_response_type', 'Only response_type=code is supported.');
  if (params.code_challenge_method !== 'S256') {
    return fail(
      'invalid_request',
      'PKCE with code_challenge_method=S256 is required; plain is not supported.',
    );
  }
  if (!isCodeChallenge(params.code_challenge)) {
    return fail('invalid_request', 'code_challenge must be 43-128 base64url characters.');
  }
  return {
    kind: 'ok',
    request: {
      client,
      redirectUri,
      codeChallenge: params.code_challenge,
      state,
      deviceName: cleanDeviceName(params.device_name),
    },
  };
}

export function createCodeFlow({ db, clock, tokens }: { db: Db; clock: Clock; tokens: TokensService }) {
  async function userActor(tx: DbOrTx, userId: string, meta: RequestMeta): Promise<AuditActor> {
    const user = await usersRepo.findById(tx, userId);
    return { type: 'user', id: userId, label: user?.email ?? null, ...meta };
  }

  /** RFC 6749 §4.1.2 (SHOULD): a replayed code means it leaked, so what it bought is revoked. */
  async function revokeReplayed(tx: DbOrTx, patId: string, meta: RequestMeta) {
    const revoked = await tokensRepo.markRevoked(tx, patId, clock.now());
    if (!revoked) return;
    await recordAudit(tx, await userActor(tx, revoked.userId ?? '', meta), {
      orgId: null,
      action: 'pat.revoked',
      target: { type: 'pat', id: revoked.id },
      data: { name: revoked.name, prefix: revoked.displayPrefix, via: 'authorization_code_replay' },
    });
  }

  return {
    checkAuthorizationRequest,

    /** After consent: a 60-second, single-use code bound to the client, redirect URI and PKCE challenge. */
    async createAuthorizationCode(
      input: {
        clientId: string;
        userId: string;
        redirectUri: string;
        codeChallenge: string;
        deviceName: string;
      },
      meta: RequestMeta,
    ): Promise<string> {
      const client = requireClient(input.clientId);
      if (!isLoopbackRedirectUri(input.redirectUri) || !isCodeChallenge(input.codeChallenge)) {
        throw new AppError('INVALID_INPUT', 'Invalid redirect_uri or code_challenge.');
      }
      const code = randomBytes(32).toString('base64url');
      const now = clock.now();
      await db.transaction(async (tx) => {
        await repo.insertCode(tx, {
          codeHash: hashToken(code),
          clientId: client.id,
          userId: input.userId,
          redirectUri: input.redirectUri,
          codeChallenge: input.codeChallenge,
          deviceName: cleanDeviceName(input.deviceName),
          createdAt: now,
          expiresAt: new Date(now.getTime() + AUTHORIZATION_CODE_TTL_SECONDS * 1000),
        });
        await recordAudit(tx, await userActor(tx, input.userId, meta), {
          orgId: null,
          action: 'oauth.authorized',
          target: { type: 'user', id: input.userId },
          data: { client: client.id, deviceName: cleanDeviceName(input.deviceName) },
        });
      });
      await repo.purgeExpired(db, new Date(now.getTime() - DAY));
      return code;
    },

    async denyAuthorization(
      input: { clientId: string; userId: string; deviceName: string },
      meta: RequestMeta,
    ) {
      const client = requireClient(input.clientId);
      await recordAudit(db, await userActor(db, input.userId, meta), {
        orgId: null,
        action: 'oauth.denied',
        target: { type: 'user', id: input.userId },
        data: { client: client.id, deviceName: cleanDeviceName(input.deviceName) },
      });
    },

    /** RFC 6749 §4.1.3 + RFC 7636 §4.6. Every failure is invalid_grant and burns the code. */
    async redeemAuthorizationCode(
      input: { code: unknown; redirectUri: unknown; codeVerifier: unknown; clientId: unknown },
      meta: RequestMeta,
    ): Promise<TokenResponse> {
      const client = requireClient(input.clientId);
      const { code, redirectUri, codeVerifier } = input;
      if (typeof code !== 'string' || !code || code.length > 100)
        throw new OAuthError('invalid_request', 'code is required.');
      if (typeof redirectUri !== 'string' || !redirectUri)
        throw new OAuthError('invalid_request', 'redirect_uri is required.');
      if (typeof codeVerifier !== 'string' || !codeVerifier) {
        throw new OAuthError('invalid_request', 'code_verifier is required (PKCE).');
      }
      const hash = hashToken(code);
      const outcome = await db.transaction(async (tx): Promise<OAuthError | TokenResponse> => {
        const row = await repo.lockCode(tx, hash);
        if (!row) return new OAuthError('invalid_grant', 'The authorization code is invalid or expired.');
        if (row.usedAt) {
          if (row.patId) await revokeReplayed(tx, row.patId, meta);
          return new OAuthError('invalid_grant', 'The authorization code was already used.');
        }
        const now = clock.now();
        // Consumed by this attempt whatever happens next: a code gets exactly one try.
        await repo.markCodeUsed(tx, hash, now, null);
        if (row.expiresAt <= now) return new OAuthError('invalid_grant', 'The authorization code expired.');
        if (row.clientId !== client.id)
          return new OAuthError('invalid_grant', 'The code was issued to another client.');
        if (row.redirectUri !== redirectUri) {
          return new OAuthError(
            'invalid_grant',
            'redirect_uri does not match the one of the authorization request.',
          );
        }
        if (!verifierMatches(codeVerifier, row.codeChallenge)) {
          return new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge.');
        }
        const pat = await tokens.issuePat(tx, await userActor(tx, row.userId, meta), row.userId, {
          name: cleanDeviceName(row.deviceName),
          via: 'authorization_code',
        });
        await repo.markCodeUsed(tx, hash, now, pat.id);
        return tokenResponse(pat, now);
      });
      if (outcome instanceof OAuthError) throw outcome;
      return outcome;
    },
  };
}
