import { OrgParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { Member, MemberParams, UpdateMemberBody } from '../identity.js';

export const members = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/members',
    summary: "The org's members",
    permission: 'members:read',
    params: OrgParams,
    query: PageQuery,
    response: { 200: page(Member) },
    errors: [],
  }),
  update: endpoint({
    method: 'PATCH',
    path: '/api/v1/orgs/:org/members/:member',
    summary: "Change a member's role",
    permission: 'members:manage',
    params: MemberParams,
    body: UpdateMemberBody,
    response: { 200: Member },
    errors: ['CONFLICT'],
  }),
  remove: endpoint({
    method: 'DELETE',
    path: '/api/v1/orgs/:org/members/:member',
    summary: 'Remove a member (`:member` is a user id or an email address)',
    description: 'Removing an admin or owner needs more than members:write.',
    permission: 'members:write',
    params: MemberParams,
    response: { 200: Member },
    errors: ['CONFLICT'],
  }),
  leave: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/leave',
    summary: 'Leave the org (needs only membership)',
    permission: 'org:read',
    params: OrgParams,
    response: { 200: Member },
    errors: ['CONFLICT'],
  }),
} as const;
