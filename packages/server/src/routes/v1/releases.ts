import {
  DeployBody,
  Deployed,
  EnvironmentParams,
  ProjectParams,
  page,
  Release,
  ReleaseListQuery,
  ReleaseParams,
} from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

/** Releases: `latch deploy` pins secret versions and the access manifest; rollbacks copy an old one. */
export const releaseRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  // `:env` need not exist yet: the first deploy creates it.
  r.post(
    '/api/v1/orgs/:org/projects/:project/environments/:env/deploy',
    {
      config: { permission: 'deploy:write' },
      schema: { params: EnvironmentParams, body: DeployBody, response: { 201: Deployed } },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await services.releases.deploy(req.actor, req.params.project, req.params.env, req.body)),
  );

  r.get(
    '/api/v1/orgs/:org/projects/:project/releases',
    {
      config: { permission: 'deploy:read' },
      schema: { params: ProjectParams, querystring: ReleaseListQuery, response: { 200: page(Release) } },
    },
    async (req) => services.releases.list(req.actor, req.params.project, req.query),
  );

  r.post(
    '/api/v1/orgs/:org/projects/:project/environments/:env/releases/:release/rollback',
    {
      config: { permission: 'deploy:manage' },
      schema: { params: ReleaseParams, response: { 201: Deployed } },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await services.releases.rollback(req.actor, req.params.project, req.params.env, req.params.release),
        ),
  );
};
