import { OrgParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { CreatedPlatformKey, CreatePlatformKeyBody, KeyParams, PlatformKey, RotateKeyBody } from '../keys.js';

/** Platform keys (`lk_key_…`): org-bound automation credentials capped by their creator. */
export const platformKeys = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/keys',
    summary: "The org's platform keys",
    permission: 'platform_keys:read',
    params: OrgParams,
    query: PageQuery,
    response: { 200: page(PlatformKey) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/keys',
    summary: 'Create a platform key (its token is in this answer only)',
    permission: 'platform_keys:write',
    returnsCredential: true,
    params: OrgParams,
    body: CreatePlatformKeyBody,
    response: { 201: CreatedPlatformKey },
    errors: [],
  }),
  revoke: endpoint({
    method: 'DELETE',
    path: '/api/v1/orgs/:org/keys/:id',
    summary: 'Revoke a platform key',
    description: "Own keys need platform_keys:write; anyone's need platform_keys:manage.",
    permission: 'platform_keys:write',
    params: KeyParams,
    response: { 200: PlatformKey },
    errors: [],
  }),
  rotate: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/keys/:id/rotate',
    summary: 'Rotate a platform key: a new token, the old one works for the grace period',
    permission: 'platform_keys:write',
    returnsCredential: true,
    params: KeyParams,
    body: RotateKeyBody,
    response: { 200: CreatedPlatformKey },
    errors: ['CONFLICT'],
  }),
} as const;
