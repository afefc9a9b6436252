import { IdParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { CreatedPat, CreatePatBody, Pat } from '../identity.js';

export const pats = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/pats',
    summary: "The caller's personal access tokens",
    permission: 'self',
    query: PageQuery,
    response: { 200: page(Pat) },
    errors: ['PERMISSION_DENIED'],
  }),
  create: endpoint({
    method: 'POST',
    path: '/api/v1/pats',
    summary: 'Create a personal access token (its token is in this answer only)',
    permission: 'self',
    returnsCredential: true,
    body: CreatePatBody,
    response: { 201: CreatedPat },
    errors: ['PERMISSION_DENIED'],
  }),
  revoke: endpoint({
    method: 'DELETE',
    path: '/api/v1/pats/:id',
    summary: 'Revoke one of your personal access tokens',
    permission: 'self',
    params: IdParams,
    response: { 200: Pat },
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  }),
  rotate: endpoint({
    method: 'POST',
    path: '/api/v1/pats/:id/rotate',
    summary: 'Give one of your PATs a new token (in this answer only); the old one stops at once',
    description:
      'The PAT keeps its id, name, scopes and expiry. Rotating another PAT than the one calling needs an unscoped credential.',
    permission: 'self',
    returnsCredential: true,
    params: IdParams,
    response: { 200: CreatedPat },
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'CONFLICT'],
  }),
} as const;
