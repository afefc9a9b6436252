import {
  EnvironmentParams,
  GetSecretQuery,
  ImportedSecrets,
  ImportSecretsBody,
  PageQuery,
  ReleasedSecrets,
  ReleasedSecretsQuery,
  RollbackSecretBody,
  SecretChange,
  SecretHistory,
  SecretHistoryQuery,
  SecretList,
  SecretParams,
  SecretValue,
  SetSecretBody,
} from '@latchkey/core';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteModule } from '../../app.js';

const BASE = '/api/v1/orgs/:org/projects/:project/environments/:env';

/**
 * An environment's secrets. Values travel only in request bodies and in the responses of reads
 * that need secrets:read (each audited); never in URLs, so they stay out of access logs.
 */
export const secretRoutes: RouteModule = (fastify, { services }) => {
  const r = fastify.withTypeProvider<ZodTypeProvider>();

  // Names for anyone who may see the environment; versions, authors and masks need secrets:read.
  r.get(
    `${BASE}/secrets`,
    {
      config: { permission: 'environments:read' },
      schema: { params: EnvironmentParams, querystring: PageQuery, response: { 200: SecretList } },
    },
    async (req) => services.secretsRead.list(req.actor, req.params.project, req.params.env, req.query),
  );

  // The values `latch run`, `latch secrets export` and loadSecrets() use: the current release's.
  r.get(
    `${BASE}/released-secrets`,
    {
      config: { permission: 'secrets:read' },
      schema: {
        params: EnvironmentParams,
        querystring: ReleasedSecretsQuery,
        response: { 200: ReleasedSecrets },
      },
    },
    async (req) =>
      services.releases.released(req.actor, req.params.project, req.params.env, {
        latest: req.query.latest === 'true',
      }),
  );

  r.post(
    `${BASE}/secrets/import`,
    {
      config: { permission: 'secrets:write' },
      schema: { params: EnvironmentParams, body: ImportSecretsBody, response: { 200: ImportedSecrets } },
    },
    async (req) => services.secrets.import(req.actor, req.params.project, req.params.env, req.body),
  );

  r.get(
    `${BASE}/secrets/:name`,
    {
      config: { permission: 'secrets:read' },
      schema: { params: SecretParams, querystring: GetSecretQuery, response: { 200: SecretValue } },
    },
    async (req) =>
      services.secretsRead.get(req.actor, req.params.project, req.params.env, req.params.name, req.query),
  );

  r.put(
    `${BASE}/secrets/:name`,
    {
      config: { permission: 'secrets:write' },
      schema: { params: SecretParams, body: SetSecretBody, response: { 200: SecretChange } },
    },
    async (req) =>
      services.secrets.set(req.actor, req.params.project, req.params.env, req.params.name, req.body.value),
  );

  r.delete(
    `${BASE}/secrets/:name`,
    {
      config: { permission: 'secrets:write' },
      schema: { params: SecretParams, response: { 200: SecretChange } },
    },
    async (req) => services.secrets.unset(req.actor, req.params.project, req.params.env, req.params.name),
  );

  r.get(
    `${BASE}/secrets/:name/history`,
    {
      config: { permission: 'secrets:read' },
      schema: { params: SecretParams, querystring: SecretHistoryQuery, response: { 200: SecretHistory } },
    },
    async (req) =>
      services.secretsRead.history(req.actor, req.params.project, req.params.env, req.params.name, {
        ...req.query,
        reveal: req.query.reveal === 'true',
      }),
  );

  r.post(
    `${BASE}/secrets/:name/rollback`,
    {
      config: { permission: 'secrets:write' },
      schema: { params: SecretParams, body: RollbackSecretBody, response: { 200: SecretChange } },
    },
    async (req) =>
      services.secrets.rollback(
        req.actor,
        req.params.project,
        req.params.env,
        req.params.name,
        req.body.version,
      ),
  );
};
