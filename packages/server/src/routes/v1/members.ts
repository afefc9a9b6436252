import { Member, MemberParams, OrgParams, PageQuery, page, UpdateMemberBody } from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

export const memberRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/orgs/:org/members',
    {
      config: { permission: 'members:read' },
      schema: { params: OrgParams, querystring: PageQuery, response: { 200: page(Member) } },
    },
    async (req) => services.members.list(req.actor, req.query),
  );

  r.patch(
    '/api/v1/orgs/:org/members/:member',
    {
      config: { permission: 'members:manage' },
      schema: { params: MemberParams, body: UpdateMemberBody, response: { 200: Member } },
    },
    async (req) => services.members.changeRole(req.actor, req.params.member, req.body.role),
  );

  // `:member` is a user id or an email address. Removing an admin or owner needs more (see service).
  r.delete(
    '/api/v1/orgs/:org/members/:member',
    { config: { permission: 'members:write' }, schema: { params: MemberParams, response: { 200: Member } } },
    async (req) => services.members.remove(req.actor, req.params.member),
  );

  // Leaving needs only membership: a developer or viewer lacks members:write but may still go.
  r.post(
    '/api/v1/orgs/:org/leave',
    { config: { permission: 'org:read' }, schema: { params: OrgParams, response: { 200: Member } } },
    async (req) => services.members.leave(req.actor),
  );
};
