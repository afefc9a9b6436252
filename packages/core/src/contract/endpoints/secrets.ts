import { PageQuery } from '../common.js';
import { endpoint } from '../endpoint.js';
import { EnvironmentParams } from '../projects.js';
import {
  GetSecretQuery,
  ImportedSecrets,
  ImportSecretsBody,
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
} from '../secrets.js';

const base = '/api/v1/orgs/:org/projects/:project/environments/:env';

/**
 * An environment's secrets. Values travel only in request bodies and in the answers of reads
 * that need secrets:read (each audited); never in URLs, so they stay out of access logs.
 */
export const secrets = {
  list: endpoint({
    method: 'GET',
    path: `${base}/secrets`,
    summary: "An environment's secrets",
    description:
      'Names for anyone who may see the environment; versions, authors and masks need secrets:read.',
    permission: 'environments:read',
    params: EnvironmentParams,
    query: PageQuery,
    response: { 200: SecretList },
    errors: [],
  }),
  released: endpoint({
    method: 'GET',
    path: `${base}/released-secrets`,
    summary: "The current release's values (or, with latest=true, the newest ones)",
    permission: 'secrets:read',
    params: EnvironmentParams,
    query: ReleasedSecretsQuery,
    response: { 200: ReleasedSecrets },
    errors: ['INTEGRITY_ERROR'],
  }),
  import: endpoint({
    method: 'POST',
    path: `${base}/secrets/import`,
    summary: 'Import .env text',
    permission: 'secrets:write',
    params: EnvironmentParams,
    body: ImportSecretsBody,
    response: { 200: ImportedSecrets },
    errors: [],
  }),
  get: endpoint({
    method: 'GET',
    path: `${base}/secrets/:name`,
    summary: "A secret's value (audited)",
    permission: 'secrets:read',
    params: SecretParams,
    query: GetSecretQuery,
    response: { 200: SecretValue },
    errors: ['INTEGRITY_ERROR'],
  }),
  set: endpoint({
    method: 'PUT',
    path: `${base}/secrets/:name`,
    summary: 'Set a secret: a new version',
    permission: 'secrets:write',
    params: SecretParams,
    body: SetSecretBody,
    response: { 200: SecretChange },
    errors: ['CONFLICT'],
  }),
  unset: endpoint({
    method: 'DELETE',
    path: `${base}/secrets/:name`,
    summary: 'Unset a secret (removed at the next deploy)',
    permission: 'secrets:write',
    params: SecretParams,
    response: { 200: SecretChange },
    errors: ['CONFLICT'],
  }),
  history: endpoint({
    method: 'GET',
    path: `${base}/secrets/:name/history`,
    summary: "A secret's versions (values only with reveal=true, audited)",
    permission: 'secrets:read',
    params: SecretParams,
    query: SecretHistoryQuery,
    response: { 200: SecretHistory },
    errors: ['INTEGRITY_ERROR'],
  }),
  rollback: endpoint({
    method: 'POST',
    path: `${base}/secrets/:name/rollback`,
    summary: "Make an older version's value the newest",
    permission: 'secrets:write',
    params: SecretParams,
    body: RollbackSecretBody,
    response: { 200: SecretChange },
    errors: ['CONFLICT', 'INTEGRITY_ERROR'],
  }),
} as const;
