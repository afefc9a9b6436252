import { page } from '../common.js';
import { endpoint } from '../endpoint.js';
import { LogEvent, LogListQuery, LogStreamQuery } from '../logs.js';
import { EnvironmentParams } from '../projects.js';

/** `latch logs`: an environment's verifications, denials, rate limits, audit events and releases. */
export const logs = {
  list: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env/logs',
    summary: "An environment's events in a time window, oldest first",
    description:
      'Verifications, denials and rate limits (from SDK usage reports), audit events and releases, in the order the server recorded them.',
    permission: 'logs:read',
    params: EnvironmentParams,
    query: LogListQuery,
    response: { 200: page(LogEvent) },
    errors: [],
  }),
  stream: endpoint({
    method: 'GET',
    path: '/api/v1/orgs/:org/projects/:project/environments/:env/logs/stream',
    summary: "Server-sent events: an environment's events as they are recorded",
    description:
      'The last `backlog` events, then new ones live. Each event id is a database position: reconnect with Last-Event-ID to resume without loss or repetition, on any node.',
    permission: 'logs:read',
    params: EnvironmentParams,
    query: LogStreamQuery,
    response: {},
    stream: 'text/event-stream',
    errors: [],
  }),
} as const;
