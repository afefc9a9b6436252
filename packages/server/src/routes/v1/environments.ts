import {
  CreateEnvironmentBody,
  DeletedEnvironment,
  DeleteEnvironmentQuery,
  Environment,
  EnvironmentParams,
  PageQuery,
  ProjectParams,
  page,
} from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

export const environmentRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/orgs/:org/projects/:project/environments',
    {
      config: { permission: 'environments:read' },
      schema: { params: ProjectParams, querystring: PageQuery, response: { 200: page(Environment) } },
    },
    async (req) => services.environments.list(req.actor, req.params.project, req.query),
  );

  r.post(
    '/api/v1/orgs/:org/projects/:project/environments',
    {
      config: { permission: 'environments:write' },
      schema: { params: ProjectParams, body: CreateEnvironmentBody, response: { 201: Environment } },
    },
    async (req, reply) =>
      reply.code(201).send(await services.environments.create(req.actor, req.params.project, req.body)),
  );

  // Refused (409) while the environment has API keys, unless ?force=true.
  r.delete(
    '/api/v1/orgs/:org/projects/:project/environments/:env',
    {
      config: { permission: 'environments:manage' },
      schema: {
        params: EnvironmentParams,
        querystring: DeleteEnvironmentQuery,
        response: { 200: DeletedEnvironment },
      },
    },
    async (req) =>
      services.environments.delete(req.actor, req.params.project, req.params.env, {
        force: req.query.force === 'true',
      }),
  );
};
