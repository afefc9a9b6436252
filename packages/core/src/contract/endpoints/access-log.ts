import { AccessEntry, AccessLogQuery } from '../access-log.js';
import { OrgParams, page } from '../common.js';
import { endpoint } from '../endpoint.js';

/** The access log: reads of secret values and other sensitive data, names only. */
export const accessLog = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/access-log',
    summary: "The org's access log, newest first",
    description:
      'One entry per read of secret values (get, history with reveal, released values for run, export and loadSecrets) and of the audit log; names, never values.',
    permission: 'audit:read',
    params: OrgParams,
    query: AccessLogQuery,
    response: { 200: page(AccessEntry) },
    errors: [],
  }),
} as const;
