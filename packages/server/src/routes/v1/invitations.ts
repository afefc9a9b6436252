import {
  AcceptedInvitation,
  CreatedInvitation,
  CreateInvitationBody,
  IdParams,
  Invitation,
  OrgInvitationParams,
  OrgParams,
  PageQuery,
  page,
} from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

export const invitationRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  // The org's side: who is invited, inviting, revoking.
  r.get(
    '/api/v1/orgs/:org/invitations',
    {
      config: { permission: 'members:read' },
      schema: { params: OrgParams, querystring: PageQuery, response: { 200: page(Invitation) } },
    },
    async (req) => services.invitations.listForOrg(req.actor, req.query),
  );

  r.post(
    '/api/v1/orgs/:org/invitations',
    {
      config: { permission: 'members:write' },
      schema: { params: OrgParams, body: CreateInvitationBody, response: { 201: CreatedInvitation } },
    },
    async (req, reply) => reply.code(201).send(await services.invitations.create(req.actor, req.body)),
  );

  r.delete(
    '/api/v1/orgs/:org/invitations/:id',
    {
      config: { permission: 'members:write' },
      schema: { params: OrgInvitationParams, response: { 200: Invitation } },
    },
    async (req) => services.invitations.revoke(req.actor, req.params.id),
  );

  // The invitee's side: invitations addressed to the caller's own email.
  r.get(
    '/api/v1/invitations',
    {
      config: { permission: 'self' },
      schema: { querystring: PageQuery, response: { 200: page(Invitation) } },
    },
    async (req) => services.invitations.listMine(req.actor, req.query),
  );

  r.post(
    '/api/v1/invitations/:id/accept',
    { config: { permission: 'self' }, schema: { params: IdParams, response: { 200: AcceptedInvitation } } },
    async (req) => services.invitations.accept(req.actor, req.params.id),
  );

  r.post(
    '/api/v1/invitations/:id/decline',
    { config: { permission: 'self' }, schema: { params: IdParams, response: { 200: Invitation } } },
    async (req) => services.invitations.decline(req.actor, req.params.id),
  );
};
