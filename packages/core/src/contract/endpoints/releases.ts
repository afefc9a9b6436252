import { page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { EnvironmentParams, ProjectParams } from '../projects.js';
import { DeployBody, Deployed, Release, ReleaseListQuery, ReleaseParams } from '../releases.js';

/** Releases: `latch deploy` pins secret versions and the access manifest; rollbacks copy an old one. */
export const releases = {
  deploy: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env/deploy',
    summary: 'Deploy: a new release of the environment',
    description: '`:env` need not exist yet: the first deploy creates it.',
    permission: 'deploy:write',
    params: EnvironmentParams,
    body: DeployBody,
    response: { 201: Deployed },
    errors: ['CONFLICT'],
  }),
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects/:project/releases',
    summary: "A project's releases, newest first",
    permission: 'deploy:read',
    params: ProjectParams,
    query: ReleaseListQuery,
    response: { 200: page(Release) },
    errors: [],
  }),
  rollback: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env/releases/:release/rollback',
    summary: "A new release with an older release's contents",
    permission: 'deploy:manage',
    params: ReleaseParams,
    response: { 201: Deployed },
    errors: ['CONFLICT'],
  }),
} as const;
