import { AppError, type Client, endpointPath, endpoints, type Org } from '@latchkey/core';

/** The project's org and `/api/v1/orgs/<org>/projects/<project>`: where verification, events and usage go. */
export type ProjectRef = { org: string; project: string; base: string };

const ref = (org: string, project: string): ProjectRef => ({
  org,
  project,
  base: endpointPath(endpoints.projects.get, { org, project }),
});

/**
 * Which org holds the project. Verification goes through the project's own route, so a key of
 * any other project answers NOT_FOUND even when the token could read that project too. The org
 * comes from the options, else from an org-bound token (platform or service-account key), else
 * from the one org of the caller's that has the project.
 */
export async function resolveProject(client: Client, project: string, org?: string): Promise<ProjectRef> {
  if (org) return ref(org, project);
  const me = await client.call(endpoints.me.get);
  if (me.org) return ref(me.org.id, project);
  const hits: Org[] = [];
  for (const o of await client.all(endpoints.orgs.list)) {
    const found = await client.attempt(endpoints.projects.get, { params: { org: o.id, project } });
    if (found.ok) hits.push(o);
    else if (found.error.code !== 'NOT_FOUND' && found.error.code !== 'PERMISSION_DENIED') throw found.error;
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
  return ref(hits[0]!.id, project);
}
