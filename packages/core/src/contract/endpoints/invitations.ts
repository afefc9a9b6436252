import { IdParams, OrgParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { AcceptedInvitation, CreateInvitationBody, Invitation, OrgInvitationParams } from '../identity.js';

export const invitations = {
  listForOrg: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/invitations',
    summary: "The org's invitations",
    permission: 'members:read',
    params: OrgParams,
    query: PageQuery,
    response: { 200: page(Invitation) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/invitations',
    summary: 'Invite someone by email',
    permission: 'members:write',
    params: OrgParams,
    body: CreateInvitationBody,
    response: { 201: Invitation },
    errors: ['CONFLICT'],
  }),
  revoke: endpoint({
    method: 'DELETE',
    path: '/api/v1/orgs/:org/invitations/:id',
    summary: 'Revoke a pending invitation',
    permission: 'members:write',
    params: OrgInvitationParams,
    response: { 200: Invitation },
    errors: ['CONFLICT'],
  }),
  mine: endpoint({
    method: 'GET',
    path: '/api/v1/invitations',
    summary: "Invitations addressed to the caller's email",
    permission: 'self',
    query: PageQuery,
    response: { 200: page(Invitation) },
    errors: ['PERMISSION_DENIED'],
  }),
  accept: endpoint({
    method: 'POST',
    path: '/api/v1/invitations/:id/accept',
    summary: 'Accept an invitation: join its org',
    permission: 'self',
    params: IdParams,
    response: { 200: AcceptedInvitation },
    errors: ['NOT_FOUND', 'CONFLICT', 'PERMISSION_DENIED'],
  }),
  decline: endpoint({
    method: 'POST',
    path: '/api/v1/invitations/:id/decline',
    summary: 'Decline an invitation',
    permission: 'self',
    params: IdParams,
    response: { 200: Invitation },
    errors: ['NOT_FOUND', 'CONFLICT', 'PERMISSION_DENIED'],
  }),
} as const;
