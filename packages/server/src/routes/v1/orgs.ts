import { CreateOrgBody, Org, OrgParams, page } from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

export const orgRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/orgs',
    { config: { permission: 'self' }, schema: { response: { 200: page(Org) } } },
    async (req) => ({
      items: await services.orgs.list(req.actor),
      nextCursor: null,
    }),
  );

  r.post(
    '/api/v1/orgs',
    { config: { permission: 'self' }, schema: { body: CreateOrgBody, response: { 201: Org } } },
    async (req, reply) => reply.code(201).send(await services.orgs.create(req.actor, req.body)),
  );

  r.get(
    '/api/v1/orgs/:org',
    { config: { permission: 'org:read' }, schema: { params: OrgParams, response: { 200: Org } } },
    async (req) => services.orgs.get(req.actor),
  );
};
