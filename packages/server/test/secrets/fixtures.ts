import { expect } from 'vitest';
import type { SignedUp, TestApp } from '../helpers/app.js';
import { call, envsUrl, orgWithProject } from '../projects/fixtures.js';

export { addMember, auditRows, call, envsUrl, exampleManifest } from '../projects/fixtures.js';

export const envUrl = (org: string, project: string, env: string) => `${envsUrl(org, project)}/${env}`;
export const secretsUrl = (org: string, project: string, env: string) =>
  `${envUrl(org, project, env)}/secrets`;

/** An org with project `acme` and the given environments; helpers bound to one environment. */
export async function secretsSetup(t: TestApp, owner: SignedUp, envs: string[] = ['production']) {
  const { org, project } = await orgWithProject(t, owner, 'acme', envs);
  const env = envs[0] ?? 'production';
  const base = secretsUrl(org.id, 'acme', env);
  return {
    org,
    project,
    base,
    url: (e: string) => secretsUrl(org.id, 'acme', e),
    set(name: string, value: string, token = owner.token, e = env) {
      return put(t, token, `${secretsUrl(org.id, 'acme', e)}/${name}`, { value });
    },
    async deploy(e = env, body: Record<string, unknown> = {}, token = owner.token) {
      const res = await call(t, token, 'POST', `${envUrl(org.id, 'acme', e)}/deploy`, body);
      expect(res.statusCode, res.body).toBe(201);
      return res.json();
    },
    released(e = env, latest = false, token = owner.token) {
      return call(
        t,
        token,
        'GET',
        `${envUrl(org.id, 'acme', e)}/released-secrets${latest ? '?latest=true' : ''}`,
      );
    },
  };
}

/** PUT through app.inject (the shared `call` helper knows GET/POST/PATCH/DELETE). */
export function put(t: TestApp, token: string, url: string, payload: unknown) {
  return t.app.inject({ method: 'PUT', url, headers: t.auth(token), payload: payload as object });
}
