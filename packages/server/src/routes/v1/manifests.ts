import { EnvironmentParams, ManifestVersion, PushedManifest, PushManifestBody } from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

export const manifestRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/orgs/:org/projects/:project/environments/:env/manifest',
    {
      config: { permission: 'projects:read' },
      schema: { params: EnvironmentParams, response: { 200: ManifestVersion } },
    },
    async (req) => services.manifests.get(req.actor, req.params.project, req.params.env),
  );

  // The body is the manifest itself; the service validates it field by field (400 lists them all).
  r.post(
    '/api/v1/orgs/:org/projects/:project/environments/:env/manifest',
    {
      config: { permission: 'deploy:write' },
      schema: {
        params: EnvironmentParams,
        body: PushManifestBody,
        response: { 200: PushedManifest, 201: PushedManifest },
      },
    },
    async (req, reply) => {
      const pushed = await services.manifests.push(req.actor, req.params.project, req.params.env, req.body);
      return reply.code(pushed.changed ? 201 : 200).send(pushed);
    },
  );
};
