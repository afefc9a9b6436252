import { page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { EnvironmentParams, ProjectParams } from '../projects.js';
import {
  DeployBody,
  Deployed,
  DeployPreview,
  PreviewBody,
  Release,
  ReleaseComparison,
  ReleaseDiffQuery,
  ReleaseListQuery,
  ReleaseParams,
  RollbackBody,
} from '../releases.js';

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
    errors: ['CONFLICT', 'REFERENCE_CYCLE', 'REFERENCE_MISSING', 'REFERENCE_FORBIDDEN', 'INTEGRITY_ERROR'],
  }),
  preview: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env/deploy/preview',
    summary: 'What a deploy would change against the live release (changes nothing)',
    description: 'Secret names and versions, scopes and routes; never values. `:env` need not exist yet.',
    permission: 'deploy:read',
    params: EnvironmentParams,
    body: PreviewBody,
    response: { 200: DeployPreview },
    errors: [],
  }),
  diff: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env/releases/diff',
    summary: 'What changed between two releases of an environment',
    permission: 'deploy:read',
    params: EnvironmentParams,
    query: ReleaseDiffQuery,
    response: { 200: ReleaseComparison },
    errors: [],
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
    body: RollbackBody.nullish(),
    response: { 201: Deployed },
    errors: ['CONFLICT'],
  }),
} as const;
