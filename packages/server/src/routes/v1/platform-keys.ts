import {
  CreatedPlatformKey,
  CreatePlatformKeyBody,
  KeyParams,
  OrgParams,
  PageQuery,
  PlatformKey,
  page,
  RotateKeyBody,
} from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

/** Platform keys (`lk_key_…`): org-bound automation credentials capped by their creator. */
export const platformKeyRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/orgs/:org/keys',
    {
      config: { permission: 'platform_keys:read' },
      schema: { params: OrgParams, querystring: PageQuery, response: { 200: page(PlatformKey) } },
    },
    async (req) => services.platformKeys.list(req.actor, req.query),
  );

  r.post(
    '/api/v1/orgs/:org/keys',
    {
      config: { permission: 'platform_keys:write', returnsCredential: true },
      schema: { params: OrgParams, body: CreatePlatformKeyBody, response: { 201: CreatedPlatformKey } },
    },
    // The token is in this response and nowhere else, ever.
    async (req, reply) => reply.code(201).send(await services.platformKeys.create(req.actor, req.body)),
  );

  // Own keys need platform_keys:write; anyone's need platform_keys:manage (checked in the service).
  r.delete(
    '/api/v1/orgs/:org/keys/:id',
    {
      config: { permission: 'platform_keys:write' },
      schema: { params: KeyParams, response: { 200: PlatformKey } },
    },
    async (req) => services.platformKeys.revoke(req.actor, req.params.id),
  );

  r.post(
    '/api/v1/orgs/:org/keys/:id/rotate',
    {
      config: { permission: 'platform_keys:write', returnsCredential: true },
      schema: { params: KeyParams, body: RotateKeyBody, response: { 200: CreatedPlatformKey } },
    },
    async (req) => services.platformKeys.rotate(req.actor, req.params.id, req.body),
  );
};
