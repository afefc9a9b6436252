import { AppError, type Me, type Org } from '@latchkey/core';
import type { Api } from '../api.js';

/** `/api/v1/orgs/<org>/projects/<project>`: where verification, events and usage go. */
export type ProjectRef = { base: string };

const path = (org: string, project: string) =>
  `/api/v1/orgs/${encodeURIComponent(org)}/projects/${encodeURIComponent(project)}`;

/**
 * Which org holds the project. Verification goes through the project's own route, so a key of
 * any other project answers NOT_FOUND even when the token could read that project too. The org
 * comes from the options, else from an org-bound token (platform or service-account key), else
 * from the one org of the caller's that has the project.
 */
export async function resolveProject(api: Api, project: string, org?: string): Promise<ProjectRef> {
  if (org) return { base: path(org, project) };
  const me = await api.request<Me>('GET', '/api/v1/me');
  if (me.org) return { base: path(me.org.id, project) };
  const { items } = await api.request<{ items: Org[] }>('GET', '/api/v1/orgs');
  const hits: Org[] = [];
  for (const o of items) {
    const found = await api.request('GET', path(o.id, project)).then(
      () => true,
      (err) => {
        if (err instanceof AppError && (err.code === 'NOT_FOUND' || err.code === 'PERMISSION_DENIED'))
          return false;
        throw err;
      },
    );
    if (found) hits.push(o);
  }
  if (hits.length !== 1) {
    throw new AppError(
      hits.length ? 'CONFLICT' : 'NOT_FOUND',
      hits.length
        ? `Project ${project} exists in several of your orgs (${hits.map((o) => o.name).join(', ')}).`
        : `No project ${project} in any org this token can read.`,
      { hint: "Pass `org` to createVerifier, or use a platform key of the project's org." },
    );
  }
  return { base: path(hits[0]!.id, project) };
}
