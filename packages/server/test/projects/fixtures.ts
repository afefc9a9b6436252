import { expect } from 'vitest';
import type { SignedUp, TestApp } from '../helpers/app.js';
import { call, createOrg } from '../members/fixtures.js';

export { addMember, auditRows, call, createOrg } from '../members/fixtures.js';

export const projectsUrl = (org: string) => `/api/v1/orgs/${org}/projects`;
export const envsUrl = (org: string, project: string) => `${projectsUrl(org)}/${project}/environments`;
export const manifestUrl = (org: string, project: string, env: string) =>
  `${envsUrl(org, project)}/${env}/manifest`;

let prefixes = 0;

/**
 * A shared org owned by `owner` with one project (and the named environments) made through the API.
 * Many orgs of one test database reuse a project name, so each gets its own key prefix (they are
 * unique per server).
 */
export async function orgWithProject(t: TestApp, owner: SignedUp, project = 'acme', envs: string[] = []) {
  const org = await createOrg(t, owner);
  const keyPrefix = `${project.replace(/[^a-z0-9]/g, '').slice(0, 10)}${++prefixes}_`;
  const created = await call(t, owner.token, 'POST', projectsUrl(org.id), { name: project, keyPrefix });
  expect(created.statusCode, created.body).toBe(201);
  for (const name of envs) {
    const env = await call(t, owner.token, 'POST', envsUrl(org.id, project), { name });
    expect(env.statusCode, env.body).toBe(201);
  }
  return { org, project: created.json() as { id: string; name: string; keyPrefix: string } };
}

/** The SPEC section 6 example manifest. */
export const exampleManifest = (project = 'acme') => ({
  project,
  apiKeys: {
    scopes: {
      read: { grants: { Project: ['read'], Task: ['read'] } },
      writer: { grants: { Project: ['read'], Task: ['read', 'write'] } },
    },
  },
  routes: [
    {
      prefix: '/v1',
      auth: 'apiKey:read',
      rateLimit: '1000/minute',
      routes: {
        'GET /projects': 'listProjects',
        'GET /projects/:projectId': 'getProject',
        'POST /projects/:projectId/tasks': { handler: 'createTask', auth: 'apiKey:writer' },
      },
    },
    { prefix: '/app', auth: 'session', routes: { 'GET /me/export': 'exportMyData' } },
    { prefix: '/webhooks', auth: 'none', routes: { 'POST /github': 'githubWebhook' } },
  ],
});
