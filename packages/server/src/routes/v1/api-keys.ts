import {
  ApiKey,
  ApiKeyParams,
  ApiKeyProjectParams,
  CreateApiKeyBody,
  CreatedApiKey,
  ListApiKeysQuery,
  page,
  RotateApiKeyBody,
  VerifyBody,
  VerifyResult,
} from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

const base = '/api/v1/orgs/:org/projects/:project/api-keys';

// The answer is built by the service from a fixed shape, so re-validating it on the hottest route
// buys nothing; the schema still documents it in OpenAPI. The verifier hands out the same frozen
// answer until something changes, so its JSON is made once per answer, not once per request.
const serialized = new WeakMap<object, string>();
const fastJson = () => (data: object) => {
  let json = serialized.get(data);
  if (json === undefined) {
    json = JSON.stringify(data);
    if (Object.isFrozen(data)) serialized.set(data, json);
  }
  return json;
};

export const apiKeyRoutes: RouteModule = (fastify, { services }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const keys = services.apiKeys;

  app.get(
    base,
    {
      config: { permission: 'api_keys:read' },
      schema: { params: ApiKeyProjectParams, querystring: ListApiKeysQuery, response: { 200: page(ApiKey) } },
    },
    async (req) => keys.list(req.actor, req.params.project, req.query),
  );

  app.post(
    base,
    {
      config: { permission: 'api_keys:write', returnsCredential: true },
      schema: { params: ApiKeyProjectParams, body: CreateApiKeyBody, response: { 201: CreatedApiKey } },
    },
    // The token is in this response and nowhere else, ever.
    async (req, reply) => reply.code(201).send(await keys.create(req.actor, req.params.project, req.body)),
  );

  app.post(
    `${base}/:id/rotate`,
    {
      config: { permission: 'api_keys:write', returnsCredential: true },
      schema: { params: ApiKeyParams, body: RotateApiKeyBody, response: { 200: CreatedApiKey } },
    },
    async (req) => keys.rotate(req.actor, req.params.project, req.params.id, req.body ?? {}),
  );

  app.delete(
    `${base}/:id`,
    { config: { permission: 'api_keys:write' }, schema: { params: ApiKeyParams, response: { 200: ApiKey } } },
    async (req) => keys.revoke(req.actor, req.params.project, req.params.id),
  );

  app.post(
    '/api/v1/orgs/:org/projects/:project/verify',
    {
      config: { permission: 'api_keys:read' },
      schema: { params: ApiKeyProjectParams, body: VerifyBody, response: { 200: VerifyResult } },
      serializerCompiler: fastJson,
    },
    async (req) => keys.verifyInProject(req.actor, req.params.project, req.body),
  );

  // Resource routes need `:org`; this one takes the org from the key itself and checks the
  // caller's api_keys:read there (in the service), so it is a `self` route.
  app.post(
    '/api/v1/verify',
    {
      config: { permission: 'self', authenticate: keys.authenticateCaller },
      schema: { body: VerifyBody, response: { 200: VerifyResult } },
      serializerCompiler: fastJson,
    },
    // Not async: a cached answer is sent without a promise in between.
    (req) => keys.verify(req.actor, req.body),
  );
};
