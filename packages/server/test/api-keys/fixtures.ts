import { expect } from 'vitest';
import type { Actor } from '../../src/services/actor.js';
import type { SignedUp, TestApp } from '../helpers/app.js';

type Method = 'GET' | 'POST' | 'DELETE';

export function call(t: TestApp, token: string, method: Method, url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url,
    headers: t.auth(token),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

/** The manifest of SPEC 6, plus a scope whose grants cover `read`'s. */
export const MANIFEST = {
  project: 'acme',
  apiKeys: {
    scopes: {
      read: { grants: { Project: ['read'], Task: ['read'] } },
      writer: { grants: { Project: ['read'], Task: ['read', 'write'] } },
      billing: { grants: { Invoice: ['read'] } },
    },
  },
  routes: [],
};

export type ProjectFixture = {
  owner: SignedUp;
  orgId: string;
  projectId: string;
  name: string;
  prefix: string;
  base: string;
  /** Creates a key over HTTP and returns the answer (with `token`). */
  createKey(body?: Record<string, unknown>): Promise<{ id: string; token: string; [k: string]: unknown }>;
  verify(body: Record<string, unknown>, token?: string): Promise<Record<string, unknown>>;
};

let projects = 0;

/** The owner acting in one of their orgs, as the security hooks would hand it to a service. */
export async function actorIn(t: TestApp, who: SignedUp, orgId: string): Promise<Actor> {
  return { ...who.actor, org: await t.app.services.orgs.resolve(who.actor.principal, orgId) };
}

/**
 * A project in a fresh owner's personal org with `production` (manifest pushed) and `staging`
 * (none pushed), made through the projects domain's own services.
 */
export async function makeProject(
  t: TestApp,
  manifest: Record<string, unknown> = MANIFEST,
): Promise<ProjectFixture> {
  const owner = await t.signUp();
  const orgId = owner.personalOrgId;
  const n = ++projects;
  const name = `acme${n}`;
  const prefix = `acme${n}_`;
  const actor = await actorIn(t, owner, orgId);
  const project = await t.app.services.projects.create(actor, { name, keyPrefix: prefix });
  const projectId = project.id;
  for (const env of ['production', 'staging'])
    await t.app.services.environments.create(actor, projectId, { name: env });
  await t.app.services.manifests.push(actor, projectId, 'production', { ...manifest, project: name });
  const base = `/api/v1/orgs/${orgId}/projects/${projectId}`;
  return {
    owner,
    orgId,
    projectId,
    name,
    prefix,
    base,
    async createKey(body = {}) {
      const res = await call(t, owner.token, 'POST', `${base}/api-keys`, {
        name: 'Warehouse sync',
        scope: 'read',
        environment: 'production',
        ...body,
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json();
    },
    async verify(body, token = owner.token) {
      const res = await call(t, token, 'POST', '/api/v1/verify', body);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    },
  };
}
