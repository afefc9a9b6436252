import {
  AppError,
  type ClaimRule,
  can,
  formatDuration,
  MINUTE,
  type PageQuery,
  parseBoundedDuration,
  scopesToSet,
  type TrustPolicy,
  type TrustPolicyTest,
} from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { newId } from '../../ids.js';
import type { Db } from '../../store/db.js';
import { decodeCursor, type Page, toPage } from '../../store/pagination.js';
import { type Actor, permissionDenied, requirePermission } from '../actor.js';
import { recordAudit } from '../audit/audit.service.js';
import { requireMayMint } from '../delegation.js';
import { validScopes } from '../platform-keys/platform-keys.service.js';
import { pinsSubject, requireSubjectCondition, validateClaimRules } from './claims.js';
import { audiences, evaluate } from './evaluate.js';
import { checkIssuerUrl, type IssuerKeys, peek, TokenRejected } from './issuers.js';
import * as repo from './trust-policies.repo.js';

export const TTL_BOUNDS = { min: 5 * MINUTE, max: 60 * MINUTE };
export const DEFAULT_TTL_SECONDS = 15 * 60;

export type TrustPoliciesService = ReturnType<typeof createTrustPoliciesService>;

export function toTrustPolicy(row: repo.TrustPolicyRow): TrustPolicy {
  const { policy } = row;
  return {
    id: policy.id,
    name: policy.name,
    issuer: policy.issuer,
    audience: policy.audience,
    claims: policy.claims,
    scopes: policy.scopes,
    ttlSeconds: policy.ttlSeconds,
    createdBy: row.creatorEmail,
    createdAt: policy.createdAt.toISOString(),
    lastUsedAt: policy.lastUsedAt?.toISOString() ?? null,
  };
}

function parseTtl(input: string | number | undefined): number {
  if (input === undefined) return DEFAULT_TTL_SECONDS;
  // A bare number is seconds here (an exchange lives minutes, never days).
  const parsed = parseBoundedDuration(typeof input === 'number' ? `${input}s` : input, TTL_BOUNDS);
  if (!parsed.ok) {
    throw new AppError('INVALID_INPUT', `The ttl ${parsed.error}.`, {
      hint: `Exchanged credentials live ${formatDuration(TTL_BOUNDS.min)} to ${formatDuration(TTL_BOUNDS.max)} (default 15m), e.g. --ttl 15m.`,
      details: { field: 'ttl' },
    });
  }
  return Math.round(parsed.ms / 1000);
}

function checkAudience(audience: string): string {
  if (!/^[^\s\p{Cc}]{1,256}$/u.test(audience)) {
    throw new AppError('INVALID_INPUT', 'The audience must be 1 to 256 characters without spaces.', {
      hint: 'Use the audience your CI asks its token for, e.g. --audience latchkey (GitHub: core.getIDToken("latchkey")).',
      details: { field: 'audience' },
    });
  }
  return audience;
}

function defaultName(rules: ClaimRule[]): string {
  const subject = rules.find(pinsSubject) ?? rules[0]!;
  return `${subject.claim}=${subject.value}`.slice(0, 100);
}

/** A NumericDate as ISO text; null when absent or out of Date's range (a forged token can say anything). */
function isoSeconds(value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const d = new Date(value * 1000);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function createTrustPoliciesService({
  db,
  clock,
  issuerKeys,
  allowLoopbackHttp,
}: {
  db: Db;
  clock: Clock;
  issuerKeys: IssuerKeys;
  allowLoopbackHttp: boolean;
}) {
  return {
    /**
     * Only a person makes policies: what a policy issues acts for its creator (a platform key
     * whose creator is the policy's), capped again at every use by the creator's current role.
     * All input is checked before anything is written, so a refusal changes nothing.
     */
    async create(
      actor: Actor,
      input: {
        name?: string;
        issuer: string;
        audience: string;
        claims: ClaimRule[];
        scopes: string[];
        ttl?: string | number;
      },
    ): Promise<TrustPolicy> {
      const org = requirePermission(actor, 'platform_keys:write');
      const p = actor.principal;
      if (p.kind !== 'user') {
        throw new AppError(
          'PERMISSION_DENIED',
          'Only a person can create trust policies, not an automation key.',
          {
            hint: 'Sign in with `latch login` and run `latch trust-policies create`.',
          },
        );
      }
      const issuer = checkIssuerUrl(input.issuer, allowLoopbackHttp);
      const audience = checkAudience(input.audience);
      const claims = validateClaimRules(input.claims);
      requireSubjectCondition(claims);
      const scopes = validScopes(input.scopes);
      const ttlSeconds = parseTtl(input.ttl);
      // A policy lasts until deleted, so the credential that makes it must be the person's own.
      requireMayMint(actor, org.permissions, {
        doing: 'create this trust policy',
        wanted: { permissions: scopesToSet(scopes), expiresAt: null },
        org,
      });
      const now = clock.now();
      return db.transaction(async (tx) => {
        const policy = await repo.insert(tx, {
          id: newId('tp'),
          orgId: org.id,
          name: input.name ?? defaultName(claims),
          issuer,
          audience,
          claims,
          scopes,
          ttlSeconds,
          createdBy: p.userId,
          createdAt: now,
        });
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'trust_policy.created',
          target: { type: 'trust_policy', id: policy.id },
          data: { name: policy.name, issuer, audience, claims, scopes, ttlSeconds },
        });
        return toTrustPolicy({ policy, creatorEmail: p.email, creatorRole: org.role });
      });
    },

    async list(actor: Actor, query: PageQuery): Promise<Page<TrustPolicy>> {
      const org = requirePermission(actor, 'platform_keys:read');
      const rows = await repo.list(db, org.id, query.limit, decodeCursor(query.cursor));
      return toPage(rows, query.limit, toTrustPolicy, (r) => ({ at: r.policy.createdAt, id: r.policy.id }));
    },

    /** Own policies with write, anyone's with manage; revokes what the policy issued, at once. */
    async delete(actor: Actor, id: string): Promise<TrustPolicy> {
      const org = requirePermission(actor, 'platform_keys:write');
      return db.transaction(async (tx) => {
        const row = await repo.findForUpdate(tx, org.id, id);
        if (!row) {
          throw new AppError('NOT_FOUND', `No trust policy ${id} in ${org.name}.`, {
            hint: 'Run `latch trust-policies list` to see its policies.',
          });
        }
        const p = actor.principal;
        const actingUser = p.kind === 'user' ? p.userId : p.kind === 'platform_key' ? p.createdBy : null;
        const own = row.policy.createdBy !== null && row.policy.createdBy === actingUser;
        if (!own && !can(org.permissions, 'platform_keys:manage')) {
          const denied = permissionDenied(org, 'platform_keys:manage', p);
          throw new AppError(
            'PERMISSION_DENIED',
            `Deleting someone else's trust policy needs platform_keys:manage. ${denied.message}`,
            {
              hint: 'Ask its creator, or an owner or admin of the org.',
              details: { required: 'platform_keys:manage' },
            },
          );
        }
        const now = clock.now();
        const revoked = await repo.revokeIssued(tx, row.policy.id, now);
        await repo.remove(tx, row.policy.id);
        await recordAudit(tx, actor, {
          orgId: org.id,
          action: 'trust_policy.deleted',
          target: { type: 'trust_policy', id: row.policy.id },
          data: { name: row.policy.name, issuer: row.policy.issuer, revokedCredentials: revoked },
        });
        return toTrustPolicy(row);
      });
    },

    /**
     * What an exchange of this token would do now, claim by claim, without issuing anything. The
     * signature is checked too when some policy trusts the token's issuer (so a forged token is
     * reported as such); a token from an untrusted issuer is never fetched for.
     */
    async test(actor: Actor, input: { token: string }): Promise<TrustPolicyTest> {
      const org = requirePermission(actor, 'platform_keys:read');
      let peeked: ReturnType<typeof peek>;
      try {
        peeked = peek(input.token.trim());
      } catch (err) {
        if (!(err instanceof TokenRejected)) throw err;
        throw new AppError('INVALID_INPUT', err.message, {
          hint: 'Pass the whole OIDC token, e.g. latch trust-policies test --token "$ACTIONS_ID_TOKEN".',
          details: { field: 'token' },
        });
      }
      const { alg, payload } = peeked;
      const rows = await repo.allOfOrg(db, org.id);
      const evaluations = rows.map((r) => evaluate(r.policy, payload));
      let signature: TrustPolicyTest['signature'] = {
        status: 'not_checked',
        detail: "No trust policy of this org trusts the token's issuer, so its keys were not fetched.",
      };
      if (typeof payload.iss === 'string' && rows.some((r) => r.policy.issuer === payload.iss)) {
        try {
          await issuerKeys.verify(input.token.trim(), payload.iss);
          signature = { status: 'valid', detail: `Signed by a key ${payload.iss} publishes; not expired.` };
        } catch (err) {
          if (!(err instanceof TokenRejected)) throw err;
          const k = err.failure.kind;
          signature = {
            status: k === 'expired' ? 'expired' : k === 'unreachable' ? 'unreachable' : 'invalid',
            detail: err.message,
          };
        }
      }
      const first = signature.status === 'valid' ? evaluations.find((e) => e.matched) : undefined;
      return {
        token: {
          issuer: typeof payload.iss === 'string' ? payload.iss : null,
          audience: audiences(payload),
          subject: typeof payload.sub === 'string' ? payload.sub : null,
          algorithm: alg,
          expiresAt: isoSeconds(payload.exp),
        },
        signature,
        matched: first ? { id: first.policy.id, name: first.policy.name } : null,
        policies: evaluations.map((e) => ({
          id: e.policy.id,
          name: e.policy.name,
          matched: e.matched,
          reason: e.reason,
          checks: e.checks,
        })),
      };
    },
  };
}
