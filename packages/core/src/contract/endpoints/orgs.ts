import { OrgParams, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { CreateOrgBody, Org } from '../identity.js';

export const orgs = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs',
    summary: "The caller's orgs",
    permission: 'self',
    response: { 200: page(Org) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: '/api/v1/orgs',
    summary: 'Create an org; the caller becomes its owner',
    permission: 'self',
    body: CreateOrgBody,
    response: { 201: Org },
    errors: ['CONFLICT', 'PERMISSION_DENIED'],
  }),
  get: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org',
    summary: 'One org (id or name)',
    permission: 'org:read',
    params: OrgParams,
    response: { 200: Org },
    errors: [],
  }),
} as const;
