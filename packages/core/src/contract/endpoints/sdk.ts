import { ApiKeyProjectParams } from '../api-keys.js';
import { endpoint } from '../endpoint.js';
import { KeyEventsQuery, UsageReportBody, UsageReportResult } from '../sdk.js';

/** The routes app SDKs use beside verification: pushed invalidation and usage reports. */
export const sdk = {
  events: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects/:project/events',
    summary: "Server-sent events: one environment's key changes",
    description:
      'Key revocations, rotations, deletions and manifest changes of one environment. Resumable with Last-Event-ID.',
    permission: 'api_keys:read',
    params: ApiKeyProjectParams,
    query: KeyEventsQuery,
    response: {},
    stream: 'text/event-stream',
    errors: [],
  }),
  usage: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects/:project/usage',
    summary: 'Report usage counts (SDKs send these in batches)',
    // Not api_keys:read: every viewer holds that, and usage reports write last-used.
    permission: 'logs:write',
    params: ApiKeyProjectParams,
    body: UsageReportBody,
    response: { 202: UsageReportResult },
    errors: [],
  }),
} as const;
