import { CreateProjectBody, OrgParams, PageQuery, Project, ProjectParams, page } from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

export const projectRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/orgs/:org/projects',
    {
      config: { permission: 'projects:read' },
      schema: { params: OrgParams, querystring: PageQuery, response: { 200: page(Project) } },
    },
    async (req) => services.projects.list(req.actor, req.query),
  );

  r.post(
    '/api/v1/orgs/:org/projects',
    {
      config: { permission: 'projects:write' },
      schema: { params: OrgParams, body: CreateProjectBody, response: { 201: Project } },
    },
    async (req, reply) => reply.code(201).send(await services.projects.create(req.actor, req.body)),
  );

  // `:project` is an id or a name (any case).
  r.get(
    '/api/v1/orgs/:org/projects/:project',
    {
      config: { permission: 'projects:read' },
      schema: { params: ProjectParams, response: { 200: Project } },
    },
    async (req) => services.projects.get(req.actor, req.params.project),
  );
};
