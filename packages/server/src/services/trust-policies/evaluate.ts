import type { JWTPayload } from 'jose';
import { ruleMatches, shownClaim } from './claims.js';
import type { TrustPolicyRecord } from './trust-policies.repo.js';

export type ClaimCheck = {
  claim: string;
  expected: string;
  actual: string | null;
  glob: boolean;
  ok: boolean;
};
export type Evaluation = {
  policy: TrustPolicyRecord;
  matched: boolean;
  reason: string | null;
  checks: ClaimCheck[];
};

function audiences(payload: JWTPayload): string[] {
  if (typeof payload.aud === 'string') return [payload.aud];
  return Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
}

/**
 * One policy against a token's claims: issuer, audience, then every claim rule, each reported.
 * The signature and times are verified elsewhere (issuers.ts); this is the claim-by-claim part
 * shared by the exchange and by `latch trust-policies test`.
 */
export function evaluate(policy: TrustPolicyRecord, payload: JWTPayload): Evaluation {
  const aud = audiences(payload);
  const checks: ClaimCheck[] = [
    {
      claim: 'iss',
      expected: policy.issuer,
      actual: typeof payload.iss === 'string' ? payload.iss : null,
      glob: false,
      ok: payload.iss === policy.issuer,
    },
    {
      claim: 'aud',
      expected: policy.audience,
      actual: aud.length ? aud.join(', ') : null,
      glob: false,
      ok: aud.includes(policy.audience),
    },
    ...policy.claims.map((rule) => {
      const value = (payload as Record<string, unknown>)[rule.claim];
      return {
        claim: rule.claim,
        expected: rule.value,
        actual: shownClaim(value),
        glob: rule.glob === true,
        ok: ruleMatches(rule, value),
      };
    }),
  ];
  const failed = checks.find((c) => !c.ok);
  const reason = failed
    ? failed.actual === null
      ? `the token has no "${failed.claim}" claim`
      : `"${failed.claim}" is ${failed.actual}, the policy wants ${failed.glob ? 'a match of ' : ''}${failed.expected}`
    : null;
  return { policy, matched: !failed, reason, checks };
}

export { audiences };
