import { IdParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { IdentityLink } from '../identity.js';

/** The caller's own single sign-on identity links (`latch auth identities`). */
export const identities = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/me/identities',
    summary: "The caller's SSO identities linked to this account",
    permission: 'self',
    query: PageQuery,
    response: { 200: page(IdentityLink) },
    errors: [],
  }),
  remove: endpoint({
    method: 'DELETE',
    path: '/api/v1/me/identities/:id',
    summary: 'Unlink one of your SSO identities',
    permission: 'self',
    params: IdParams,
    response: { 200: IdentityLink },
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  }),
} as const;
