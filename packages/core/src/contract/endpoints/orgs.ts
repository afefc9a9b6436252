import { OrgParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { CreateOrgBody, DeletedOrg, Org } from '../identity.js';

export const orgs = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs',
    summary: "The caller's orgs, in the order they joined them",
    permission: 'self',
    query: PageQuery,
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
  delete: endpoint({
    method: 'DELETE',
    path: '/api/v1/orgs/:org',
    summary: 'Delete an org and everything in it (owner only)',
    description:
      'Final: its projects, environments, secrets, releases, keys, service accounts, memberships and invitations are deleted; its audit entries are kept. A personal org cannot be deleted.',
    permission: 'org:manage',
    params: OrgParams,
    response: { 200: DeletedOrg },
    errors: ['CONFLICT'],
  }),
} as const;
