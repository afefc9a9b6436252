import {
  CreatedServiceAccountKey,
  CreateServiceAccountBody,
  CreateServiceAccountKeyBody,
  OrgParams,
  PageQuery,
  page,
  ServiceAccount,
  ServiceAccountKey,
  ServiceAccountKeyParams,
  ServiceAccountParams,
} from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

/** Service accounts act with their role and outlive people; `:id` is an account id or name. */
export const serviceAccountRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();
  const base = '/api/v1/orgs/:org/service-accounts';

  r.get(
    base,
    {
      config: { permission: 'service_accounts:read' },
      schema: { params: OrgParams, querystring: PageQuery, response: { 200: page(ServiceAccount) } },
    },
    async (req) => services.serviceAccounts.list(req.actor, req.query),
  );

  r.post(
    base,
    {
      config: { permission: 'service_accounts:write' },
      schema: { params: OrgParams, body: CreateServiceAccountBody, response: { 201: ServiceAccount } },
    },
    async (req, reply) => reply.code(201).send(await services.serviceAccounts.create(req.actor, req.body)),
  );

  r.delete(
    `${base}/:id`,
    {
      config: { permission: 'service_accounts:manage' },
      schema: { params: ServiceAccountParams, response: { 200: ServiceAccount } },
    },
    async (req) => services.serviceAccounts.delete(req.actor, req.params.id),
  );

  r.get(
    `${base}/:id/keys`,
    {
      config: { permission: 'service_accounts:read' },
      schema: {
        params: ServiceAccountParams,
        querystring: PageQuery,
        response: { 200: page(ServiceAccountKey) },
      },
    },
    async (req) => services.serviceAccounts.listKeys(req.actor, req.params.id, req.query),
  );

  r.post(
    `${base}/:id/keys`,
    {
      config: { permission: 'service_accounts:write', returnsCredential: true },
      schema: {
        params: ServiceAccountParams,
        body: CreateServiceAccountKeyBody,
        response: { 201: CreatedServiceAccountKey },
      },
    },
    // The token is in this response and nowhere else, ever.
    async (req, reply) =>
      reply.code(201).send(await services.serviceAccounts.createKey(req.actor, req.params.id, req.body)),
  );

  r.delete(
    `${base}/:id/keys/:keyId`,
    {
      config: { permission: 'service_accounts:write' },
      schema: { params: ServiceAccountKeyParams, response: { 200: ServiceAccountKey } },
    },
    async (req) => services.serviceAccounts.revokeKey(req.actor, req.params.id, req.params.keyId),
  );
};
