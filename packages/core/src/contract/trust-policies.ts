import { z } from 'zod';
import { Id, OrgParams, Text, Timestamp } from './common.js';

/**
 * Workload-identity trust policies: a CI system's own OIDC token (GitHub Actions, GitLab, …) is
 * exchanged at `POST /oauth/token` (RFC 8693) for a short-lived platform key when it matches one.
 */

/** A claim rule: the token's claim must equal `value`, or match it as a glob when `glob` is true. */
export const ClaimRule = z.strictObject({
  claim: Text.max(64).describe('a top-level claim of the token, e.g. repository, ref, sub'),
  value: Text.max(256).describe('exact value; with glob: `*` matches within one `/` segment, `**` across'),
  glob: z.boolean().optional().describe('match value as a glob (only when asked for explicitly)'),
});
export type ClaimRule = z.infer<typeof ClaimRule>;

/** `15m`, `1h`, or a number of seconds; 5 minutes to 1 hour, default 15 minutes. */
const TtlInput = z.union([Text.max(20), z.number().int()]);

export const CreateTrustPolicyBody = z.strictObject({
  name: Text.trim().min(1).max(100).optional().describe('default: the subject condition, e.g. acme/api'),
  issuer: Text.max(512).describe(
    'the OIDC issuer URL (https), e.g. https://token.actions.githubusercontent.com',
  ),
  audience: Text.max(256).describe('the `aud` the token must carry'),
  claims: z.array(ClaimRule).min(1).max(16),
  scopes: z.array(Text.max(64)).min(1).max(32).describe('`resource:level`; never more than yours'),
  ttl: TtlInput.optional().describe('lifetime of each exchanged credential: 5m to 1h, default 15m'),
});

export const TrustPolicy = z.object({
  id: Id,
  name: z.string(),
  issuer: z.string(),
  audience: z.string(),
  claims: z.array(ClaimRule),
  scopes: z.array(z.string()),
  ttlSeconds: z.number().int(),
  createdBy: z.string().nullable().describe("the creator's email; null once that user is deleted"),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
});
export type TrustPolicy = z.infer<typeof TrustPolicy>;

export const TrustPolicyParams = OrgParams.extend({ id: Id });

export const TestTrustPolicyBody = z.strictObject({
  token: Text.min(1).max(16_384).describe('the OIDC token (JWT) to evaluate; nothing is issued'),
});

export const ClaimCheck = z.object({
  claim: z.string(),
  expected: z.string(),
  actual: z.string().nullable(),
  glob: z.boolean(),
  ok: z.boolean(),
});

export const PolicyEvaluation = z.object({
  id: Id,
  name: z.string(),
  matched: z.boolean(),
  /** Why not, in one sentence; null when it matched. */
  reason: z.string().nullable(),
  checks: z.array(ClaimCheck),
});

export const TrustPolicyTest = z.object({
  token: z.object({
    issuer: z.string().nullable(),
    audience: z.array(z.string()),
    subject: z.string().nullable(),
    algorithm: z.string().nullable(),
    expiresAt: Timestamp.nullable(),
  }),
  signature: z.object({
    status: z.enum(['valid', 'invalid', 'expired', 'unreachable', 'not_checked']),
    detail: z.string(),
  }),
  /** The policy an exchange would use now; null when none. */
  matched: z.object({ id: Id, name: z.string() }).nullable(),
  policies: z.array(PolicyEvaluation),
});
export type TrustPolicyTest = z.infer<typeof TrustPolicyTest>;
