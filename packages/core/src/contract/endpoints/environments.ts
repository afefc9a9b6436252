import { PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import {
  CreateEnvironmentBody,
  DeletedEnvironment,
  DeleteEnvironmentQuery,
  Environment,
  EnvironmentParams,
  ProjectParams,
} from '../projects.js';

export const environments = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects/:project/environments',
    summary: "A project's environments",
    permission: 'environments:read',
    params: ProjectParams,
    query: PageQuery,
    response: { 200: page(Environment) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects/:project/environments',
    summary: 'Create an environment',
    permission: 'environments:write',
    params: ProjectParams,
    body: CreateEnvironmentBody,
    response: { 201: Environment },
    errors: ['CONFLICT'],
  }),
  delete: endpoint({
    method: 'DELETE',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env',
    summary: 'Delete an environment',
    description: 'Refused (409) while the environment has API keys, unless ?force=true.',
    permission: 'environments:manage',
    params: EnvironmentParams,
    query: DeleteEnvironmentQuery,
    response: { 200: DeletedEnvironment },
    errors: ['CONFLICT'],
  }),
} as const;
