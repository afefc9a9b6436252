import { OrgParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import {
  CreateTrustPolicyBody,
  TestTrustPolicyBody,
  TrustPolicy,
  TrustPolicyParams,
  TrustPolicyTest,
} from '../trust-policies.js';

/**
 * Trust policies let a CI system exchange its own OIDC token for a short-lived platform key, so
 * they sit under SPEC 3's `platform_keys` resource: what they hand out is a platform key acting
 * for the policy's creator (read: list and test; write: create own, delete own; manage: anyone's).
 */
export const trustPolicies = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/trust-policies',
    summary: "The org's trust policies",
    permission: 'platform_keys:read',
    params: OrgParams,
    query: PageQuery,
    response: { 200: page(TrustPolicy) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/trust-policies',
    summary: 'Trust OIDC tokens that match these claims: they exchange for a short-lived platform key',
    description:
      'Needs a subject-like claim (sub, repository, repository_owner, project_path, namespace_path, …); scopes never above yours.',
    permission: 'platform_keys:write',
    params: OrgParams,
    body: CreateTrustPolicyBody,
    response: { 201: TrustPolicy },
    errors: [],
  }),
  delete: endpoint({
    method: 'DELETE',
    path: '/api/v1/orgs/:org/trust-policies/:id',
    summary: 'Delete a trust policy and revoke the credentials it issued',
    description: "Own policies need platform_keys:write; anyone's need platform_keys:manage.",
    permission: 'platform_keys:write',
    params: TrustPolicyParams,
    response: { 200: TrustPolicy },
    errors: [],
  }),
  test: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/trust-policies/test',
    summary: "Evaluate an OIDC token against the org's trust policies, claim by claim (issues nothing)",
    permission: 'platform_keys:read',
    params: OrgParams,
    body: TestTrustPolicyBody,
    response: { 200: TrustPolicyTest },
    errors: [],
  }),
} as const;
