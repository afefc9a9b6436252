import { OrgParams, PageQuery, page } from '../common.js';
import {
  CreateWebhookBody,
  EnqueuedEffect,
  UpdateWebhookBody,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookParams,
} from '../effects.js';
import { endpoint } from '../endpoint.js';

const base = '/api/v1/orgs/:org/webhooks';

/**
 * An org's outbound webhook endpoints; each delivery is signed with Standard Webhooks. The signing
 * secret (create, rotate-secret) grants no access to Latchkey, but whoever holds it can forge
 * deliveries a receiver trusts: those two answers are `returnsCredential` (not cached, and the
 * credential invariant test proves the secret is shown once and never logged or recorded).
 */
export const webhooks = {
  list: endpoint({
    method: 'GET',
    path: base,
    summary: "The org's webhook endpoints",
    permission: 'webhooks:read',
    params: OrgParams,
    query: PageQuery,
    response: { 200: page(WebhookEndpoint) },
    errors: [],
  }),
  create: endpoint({
    method: 'POST',
    path: base,
    summary: 'Create a webhook endpoint (its signing secret is in this answer only)',
    returnsCredential: true,
    permission: 'webhooks:write',
    params: OrgParams,
    body: CreateWebhookBody,
    response: { 201: WebhookEndpointWithSecret },
    errors: ['INVALID_INPUT'],
  }),
  update: endpoint({
    method: 'PATCH',
    path: `${base}/:id`,
    summary: 'Change a webhook endpoint (URL, events, description, enabled)',
    permission: 'webhooks:write',
    params: WebhookParams,
    body: UpdateWebhookBody,
    response: { 200: WebhookEndpoint },
    errors: ['INVALID_INPUT'],
  }),
  delete: endpoint({
    method: 'DELETE',
    path: `${base}/:id`,
    summary: 'Delete a webhook endpoint (its pending deliveries are cancelled)',
    permission: 'webhooks:manage',
    params: WebhookParams,
    response: { 200: WebhookEndpoint },
    errors: [],
  }),
  test: endpoint({
    method: 'POST',
    path: `${base}/:id/test`,
    summary: 'Send a ping event to the endpoint',
    permission: 'webhooks:write',
    params: WebhookParams,
    response: { 202: EnqueuedEffect },
    errors: [],
  }),
  rotateSecret: endpoint({
    method: 'POST',
    path: `${base}/:id/rotate-secret`,
    summary: 'New signing secret; the old one also signs for 24 hours (the new one is in this answer only)',
    returnsCredential: true,
    permission: 'webhooks:write',
    params: WebhookParams,
    response: { 200: WebhookEndpointWithSecret },
    errors: [],
  }),
} as const;
