import { OrgParams, PageQuery, page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { CreateProjectBody, DeletedProject, Project, ProjectParams } from '../projects.js';

export const projects = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects',
    summary: "The org's projects",
    permission: 'projects:read',
    params: OrgParams,
    query: PageQuery,
    response: { 200: page(Project) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects',
    summary: 'Create a project',
    permission: 'projects:write',
    params: OrgParams,
    body: CreateProjectBody,
    response: { 201: Project },
    errors: ['CONFLICT'],
  }),
  get: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects/:project',
    summary: 'One project (`:project` is an id or a name, any case)',
    permission: 'projects:read',
    params: ProjectParams,
    response: { 200: Project },
    errors: [],
  }),
  delete: endpoint({
    method: 'DELETE',
    path: '/api/v1/orgs/:org/projects/:project',
    summary: 'Delete a project with its environments, secrets, releases and API keys',
    description: 'Final; apps using its API keys are refused at once. Its audit entries are kept.',
    permission: 'projects:manage',
    params: ProjectParams,
    response: { 200: DeletedProject },
    errors: [],
  }),
} as const;
