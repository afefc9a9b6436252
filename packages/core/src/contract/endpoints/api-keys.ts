import {
  ApiKey,
  ApiKeyParams,
  ApiKeyProjectParams,
  CreateApiKeyBody,
  CreatedApiKey,
  ListApiKeysQuery,
  RotateApiKeyBody,
  VerifyBody,
  VerifyResult,
} from '../api-keys.js';
import { page } from '../common.js';
import { endpoint } from '../endpoint.js';

const base = '/api/v1/orgs/:org/projects/:project/api-keys';

/** App API keys of one project (`:project` is its id or name) and their verification. */
export const apiKeys = {
  list: endpoint({
    method: 'GET',
    path: base,
    summary: "A project's app API keys",
    permission: 'api_keys:read',
    params: ApiKeyProjectParams,
    query: ListApiKeysQuery,
    response: { 200: page(ApiKey) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: base,
    summary: 'Create an app API key (its token is in this answer only)',
    permission: 'api_keys:write',
    returnsCredential: true,
    params: ApiKeyProjectParams,
    body: CreateApiKeyBody,
    response: { 201: CreatedApiKey },
    errors: ['CONFLICT'],
  }),
  rotate: endpoint({
    method: 'POST',
    path: `${base}/:id/rotate`,
    summary: 'Rotate an app API key: a new token, the old one works for the grace period',
    permission: 'api_keys:write',
    returnsCredential: true,
    params: ApiKeyParams,
    body: RotateApiKeyBody,
    response: { 200: CreatedApiKey },
    errors: ['CONFLICT'],
  }),
  revoke: endpoint({
    method: 'DELETE',
    path: `${base}/:id`,
    summary: 'Revoke an app API key: refused at once, everywhere',
    permission: 'api_keys:write',
    params: ApiKeyParams,
    response: { 200: ApiKey },
    errors: [],
  }),
  verifyInProject: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects/:project/verify',
    summary: "Verify an app API key of this project; a bad key is an answer's code, not an error",
    permission: 'api_keys:read',
    params: ApiKeyProjectParams,
    body: VerifyBody,
    response: { 200: VerifyResult },
    errors: [],
  }),
  verify: endpoint({
    method: 'POST',
    path: '/api/v1/verify',
    summary: 'Verify an app API key of any project the caller may read keys of',
    description:
      "The org comes from the key itself; the caller's api_keys:read is checked there. A bad key is an answer's code, not an error.",
    permission: 'self',
    body: VerifyBody,
    response: { 200: VerifyResult },
    errors: ['PERMISSION_DENIED', 'KEY_SUSPENDED'],
  }),
} as const;
