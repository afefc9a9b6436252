import { OrgParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import {
  CreatedServiceAccountKey,
  CreateServiceAccountBody,
  CreateServiceAccountKeyBody,
  RotateKeyBody,
  ServiceAccount,
  ServiceAccountKey,
  ServiceAccountKeyParams,
  ServiceAccountParams,
} from '../keys.js';

const base = '/api/v1/orgs/:org/service-accounts';

/** Service accounts act with their role and outlive people; `:id` is an account id or name. */
export const serviceAccounts = {
  list: endpoint({
    method: 'GET',
    path: base,
    summary: "The org's service accounts",
    permission: 'service_accounts:read',
    params: OrgParams,
    query: PageQuery,
    response: { 200: page(ServiceAccount) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: base,
    summary: 'Create a service account',
    permission: 'service_accounts:write',
    params: OrgParams,
    body: CreateServiceAccountBody,
    response: { 201: ServiceAccount },
    errors: ['CONFLICT'],
  }),
  delete: endpoint({
    method: 'DELETE',
    path: `${base}/:id`,
    summary: 'Delete a service account and revoke its keys',
    permission: 'service_accounts:manage',
    params: ServiceAccountParams,
    response: { 200: ServiceAccount },
    errors: [],
  }),
  listKeys: endpoint({
    method: 'GET',
    path: `${base}/:id/keys`,
    summary: "A service account's keys",
    permission: 'service_accounts:read',
    params: ServiceAccountParams,
    query: PageQuery,
    response: { 200: page(ServiceAccountKey) },
    errors: [],
  }),
  createKey: endpoint({
    method: 'POST',
    path: `${base}/:id/keys`,
    summary: 'Create a service-account key (its token is in this answer only)',
    permission: 'service_accounts:write',
    returnsCredential: true,
    params: ServiceAccountParams,
    body: CreateServiceAccountKeyBody,
    response: { 201: CreatedServiceAccountKey },
    errors: [],
  }),
  revokeKey: endpoint({
    method: 'DELETE',
    path: `${base}/:id/keys/:keyId`,
    summary: 'Revoke a service-account key',
    permission: 'service_accounts:write',
    params: ServiceAccountKeyParams,
    response: { 200: ServiceAccountKey },
    errors: [],
  }),
  rotateKey: endpoint({
    method: 'POST',
    path: `${base}/:id/keys/:keyId/rotate`,
    summary: 'Rotate a service-account key: a new token, the old one works for the grace period',
    permission: 'service_accounts:write',
    returnsCredential: true,
    params: ServiceAccountKeyParams,
    body: RotateKeyBody,
    response: { 200: CreatedServiceAccountKey },
    errors: ['CONFLICT'],
  }),
} as const;
