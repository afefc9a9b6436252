import { IdentityLink, IdParams, PageQuery, page } from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

/** The caller's own SSO identity links (`latch auth identities`). */
export const identityRoutes: RouteModule = (fastify, { services }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/api/v1/me/identities',
    {
      config: { permission: 'self' },
      schema: { querystring: PageQuery, response: { 200: page(IdentityLink) } },
    },
    async (req) => services.identityLinks.list(req.actor, req.query),
  );

  app.delete(
    '/api/v1/me/identities/:id',
    { config: { permission: 'self' }, schema: { params: IdParams, response: { 200: IdentityLink } } },
    async (req) => services.identityLinks.remove(req.actor, req.params.id),
  );
};
