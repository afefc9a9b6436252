import {
  displayPrefix,
  generateToken,
  hashToken,
  missingPermissions,
  ROLE_PERMISSIONS,
  TOKEN_PREFIXES,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db } from '../../store/db.js';
import { recordAudit } from '../audit/audit.service.js';
import { OAuthError } from '../oauth/oauth-error.js';
import * as orgsRepo from '../orgs/orgs.repo.js';
import * as tokensRepo from '../tokens/tokens.repo.js';
import { shownClaim } from './claims.js';
import { evaluate } from './evaluate.js';
import { type IssuerKeys, peek, TokenRejected } from './issuers.js';
import * as repo from './trust-policies.repo.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const SUBJECT_TOKEN_TYPES = [
  'urn:ietf:params:oauth:token-type:jwt',
  'urn:ietf:params:oauth:token-type:id_token',
] as const;
export const ISSUED_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** RFC 8693 §2.2.1. */
export type ExchangeResponse = {
  access_token: string;
  issued_token_type: typeof ISSUED_TOKEN_TYPE;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
};

const TEST_HINT =
  'An org member can run `latch trust-policies test --token <jwt>` to see, claim by claim, why no policy matched.';

/**
 * RFC 8693 token exchange: a CI system's OIDC token for a platform key of `org`. The answer to a
 * refusal never lists the org's policies (anyone with a GitHub account can mint a token from the
 * GitHub issuer and probe); members see the details with the test endpoint instead.
 */
export function createTokenExchange({
  db,
  clock,
  issuerKeys,
}: {
  db: Db;
  clock: Clock;
  issuerKeys: IssuerKeys;
}) {
  return async function exchange(
    params: Record<string, string>,
    meta: { ip: string | null; requestId: string | null },
  ): Promise<ExchangeResponse> {
    const subjectToken = params.subject_token?.trim();
    if (!subjectToken) {
      throw new OAuthError(
        'invalid_request',
        'subject_token is required: the OIDC token of your CI job.',
        400,
        {
          hint: 'GitHub Actions: request a token with core.getIDToken("<audience>") and pass it as subject_token.',
        },
      );
    }
    const type = params.subject_token_type;
    if (!type || !(SUBJECT_TOKEN_TYPES as readonly string[]).includes(type)) {
      throw new OAuthError(
        'invalid_request',
        `subject_token_type must be ${SUBJECT_TOKEN_TYPES.join(' or ')}.`,
        400,
        {
          hint: 'OIDC tokens from CI systems are JWTs: send subject_token_type=urn:ietf:params:oauth:token-type:jwt.',
        },
      );
    }
    const orgRef = params.org?.trim();
    if (!orgRef) {
      throw new OAuthError(
        'invalid_request',
        'org is required: the name or id of the org whose trust policies apply.',
        400,
        {
          hint: 'Send org=<name> (latch login --oidc-token-env VAR --org <name>).',
        },
      );
    }
    if (params.actor_token) {
      throw new OAuthError('invalid_request', 'Delegation (actor_token) is not supported.', 400, {
        hint: 'Send only subject_token and subject_token_type.',
      });
    }
    let peeked: ReturnType<typeof peek>;
    try {
      peeked = peek(subjectToken);
    } catch (err) {
      if (!(err instanceof TokenRejected)) throw err;
      throw new OAuthError('invalid_request', err.message, 400, {
        hint: 'Pass the whole OIDC token, unchanged.',
      });
    }
    const iss = peeked.payload.iss;
    const noMatch = new OAuthError('invalid_grant', `No trust policy of ${orgRef} accepts this token.`, 400, {
      hint: TEST_HINT,
    });
    // An org that does not exist answers like one without a matching policy: names are not probed.
    const org = await orgsRepo.findByRef(db, orgRef);
    if (!org || typeof iss !== 'string') throw noMatch;
    const candidates = (await repo.allOfOrg(db, org.id)).filter((r) => r.policy.issuer === iss);
    if (candidates.length === 0) throw noMatch;
    let payload: typeof peeked.payload;
    try {
      ({ payload } = await issuerKeys.verify(subjectToken, iss));
    } catch (err) {
      if (!(err instanceof TokenRejected)) throw err;
      if (err.failure.kind === 'unreachable') {
        throw new OAuthError('temporarily_unavailable', err.message, 503, { hint: 'Try again in a moment.' });
      }
      throw new OAuthError('invalid_grant', err.message, 400, {
        hint:
          err.failure.kind === 'expired'
            ? 'Request a fresh token from your CI and exchange it at once.'
            : 'Send the token exactly as your CI issued it.',
      });
    }
    const match = candidates
      .map((r) => ({ row: r, e: evaluate(r.policy, payload) }))
      .find((m) => m.e.matched);
    if (!match) throw noMatch;
    const { policy, creatorRole } = match.row;
    // Never above the creator's permissions now (the key is also suspended at use if they drop).
    const missing = creatorRole
      ? missingPermissions(ROLE_PERMISSIONS[creatorRole], policy.scopes)
      : policy.scopes;
    if (missing.length > 0) {
      throw new OAuthError(
        'invalid_grant',
        `The matching trust policy can no longer issue credentials: its creator ${creatorRole ? `lacks ${missing.join(', ')}` : 'is no longer a member'}.`,
        400,
        { hint: 'Ask an owner or admin to recreate the policy (`latch trust-policies create`).' },
      );
    }
    let scopes = policy.scopes;
    if (params.scope?.trim()) {
      const asked = [...new Set(params.scope.trim().split(/[\s,]+/))];
      const outside = asked.filter((s) => !policy.scopes.includes(s));
      if (outside.length) {
        throw new OAuthError('invalid_scope', `The trust policy does not grant ${outside.join(', ')}.`, 400, {
          hint: `Ask for some of ${policy.scopes.join(', ')}, or leave scope out to get them all.`,
        });
      }
      scopes = asked;
    }
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + policy.ttlSeconds * 1000);
    const token = generateToken(TOKEN_PREFIXES.platformKey);
    const subject = typeof payload.sub === 'string' ? payload.sub : null;
    await db.transaction(async (tx) => {
      const key = await tokensRepo.insert(tx, {
        id: newId('key'),
        kind: 'platform_key',
        tokenHash: hashToken(token),
        displayPrefix: displayPrefix(token),
        name: `${policy.name} (exchanged)`.slice(0, 120),
        orgId: org.id,
        scopes,
        createdBy: policy.createdBy,
        createdAt: now,
        expiresAt,
        trustPolicyId: policy.id,
      });
      await repo.markUsed(tx, policy.id, now);
      // The matched claims, never the token: enough to tell which job got which credential.
      await recordAudit(
        tx,
        { type: 'system', id: policy.id, label: `trust policy ${policy.name}`, ...meta },
        {
          orgId: org.id,
          action: 'trust_policy.exchanged',
          target: { type: 'platform_key', id: key.id },
          data: {
            policy: { id: policy.id, name: policy.name },
            issuer: iss,
            subject,
            matched: match.e.checks.map((c) => ({ claim: c.claim, value: c.actual })),
            jti: shownClaim(payload.jti),
            prefix: key.displayPrefix,
            scopes,
            expiresAt: expiresAt.toISOString(),
          },
        },
      );
    });
    return {
      access_token: token,
      issued_token_type: ISSUED_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: policy.ttlSeconds,
      scope: scopes.join(' '),
    };
  };
}

export type TokenExchange = ReturnType<typeof createTokenExchange>;
