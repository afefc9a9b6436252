import type { Endpoint } from '../endpoint.js';
import { accessLog } from './access-log.js';
import { apiKeys } from './api-keys.js';
import { audit } from './audit.js';
import { effects } from './effects.js';
import { environments } from './environments.js';
import { identities } from './identities.js';
import { invitations } from './invitations.js';
import { logs } from './logs.js';
import { manifests } from './manifests.js';
import { me } from './me.js';
import { members } from './members.js';
import { meta } from './meta.js';
import { orgs } from './orgs.js';
import { pats } from './pats.js';
import { platformKeys } from './platform-keys.js';
import { projects } from './projects.js';
import { releases } from './releases.js';
import { sdk } from './sdk.js';
import { secrets } from './secrets.js';
import { serviceAccounts } from './service-accounts.js';
import { trustPolicies } from './trust-policies.js';
import { webhooks } from './webhooks.js';

export {
  accessLog,
  apiKeys,
  audit,
  effects,
  environments,
  identities,
  invitations,
  logs,
  manifests,
  me,
  members,
  meta,
  orgs,
  pats,
  platformKeys,
  projects,
  releases,
  sdk,
  secrets,
  serviceAccounts,
  trustPolicies,
  webhooks,
};

/**
 * The endpoint table: every `/api/v1` route, by group. The server registers exactly these,
 * OpenAPI describes exactly these, and the client calls them (`client.call(apiKeys.create, …)`).
 */
export const endpoints = {
  me,
  identities,
  orgs,
  pats,
  members,
  invitations,
  platformKeys,
  serviceAccounts,
  trustPolicies,
  projects,
  environments,
  manifests,
  secrets,
  releases,
  apiKeys,
  sdk,
  logs,
  audit,
  webhooks,
  effects,
  meta,
  accessLog,
} as const;

export type EndpointEntry = { id: string; endpoint: Endpoint };

/** The table as a list, each entry named `group.name` (OpenAPI's operationId). */
export const endpointList: readonly EndpointEntry[] = Object.freeze(
  Object.entries(endpoints).flatMap(([group, entries]) =>
    Object.entries(entries as Record<string, Endpoint>).map(([name, endpoint]) => ({
      id: `${group}.${name}`,
      endpoint,
    })),
  ),
);

const ids = new Map<Endpoint, string>(endpointList.map((e) => [e.endpoint, e.id]));

/** `apiKeys.create` for the table's entry; undefined for anything not in the table. */
export function endpointId(endpoint: Endpoint): string | undefined {
  return ids.get(endpoint);
}
