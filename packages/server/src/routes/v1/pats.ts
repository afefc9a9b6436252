import { CreatedPat, CreatePatBody, IdParams, PageQuery, Pat, page } from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

export const patRoutes: RouteModule = (fastify, { services }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/api/v1/pats',
    { config: { permission: 'self' }, schema: { querystring: PageQuery, response: { 200: page(Pat) } } },
    async (req) => services.tokens.listPats(req.actor, req.query),
  );

  app.post(
    '/api/v1/pats',
    {
      config: { permission: 'self', returnsCredential: true },
      schema: { body: CreatePatBody, response: { 201: CreatedPat } },
    },
    // The token is in this response and nowhere else, ever.
    async (req, reply) => reply.code(201).send(await services.tokens.createPat(req.actor, req.body)),
  );

  app.delete(
    '/api/v1/pats/:id',
    { config: { permission: 'self' }, schema: { params: IdParams, response: { 200: Pat } } },
    async (req) => services.tokens.revokePat(req.actor, req.params.id),
  );
};
