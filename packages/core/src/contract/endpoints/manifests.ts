import { endpoint } from '../endpoint.js';
import { EnvironmentParams, ManifestVersion, PushedManifest, PushManifestBody } from '../projects.js';

export const manifests = {
  get: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env/manifest',
    summary: "The environment's access manifest in force",
    permission: 'projects:read',
    params: EnvironmentParams,
    response: { 200: ManifestVersion },
    errors: [],
  }),
  push: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env/manifest',
    summary: 'Push an access manifest',
    description:
      'The body is the manifest itself; a 400 lists every bad field. 201 with a new version, 200 when it equals the version in force.',
    permission: 'deploy:write',
    params: EnvironmentParams,
    body: PushManifestBody,
    response: { 200: PushedManifest, 201: PushedManifest },
    errors: [],
  }),
} as const;
