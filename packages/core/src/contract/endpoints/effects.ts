import { OrgParams, page } from '../common.js';
import {
  Effect,
  EffectDetail,
  EffectParams,
  EffectProjectParams,
  EffectsQuery,
  EffectsStatus,
  EffectsStatusQuery,
  EnqueuedEffect,
  EnqueueEffectBody,
  ReplayBody,
  ReplayResult,
} from '../effects.js';
import { endpoint } from '../endpoint.js';

const base = '/api/v1/orgs/:org/effects';

/** Background deliveries: webhooks and app-enqueued callbacks, their attempts and state. */
export const effects = {
  enqueue: endpoint({
    method: 'POST',
    path: '/api/v1/orgs/:org/projects/:project/effects',
    summary: 'Enqueue a delivery from an app (same idempotency key within 24 h: the first effect)',
    permission: 'effects:write',
    params: EffectProjectParams,
    body: EnqueueEffectBody,
    response: { 202: EnqueuedEffect },
    errors: ['INVALID_INPUT'],
  }),
  status: endpoint({
    method: 'GET',
    path: `${base}/status`,
    summary: 'Counts by state, oldest pending age, delivery rate, latest failures',
    permission: 'effects:read',
    params: OrgParams,
    query: EffectsStatusQuery,
    response: { 200: EffectsStatus },
    errors: [],
  }),
  list: endpoint({
    method: 'GET',
    path: base,
    summary: "The org's effects, newest first",
    permission: 'effects:read',
    params: OrgParams,
    query: EffectsQuery,
    response: { 200: page(Effect) },
    errors: [],
  }),
  show: endpoint({
    method: 'GET',
    path: `${base}/:id`,
    summary: 'One effect with every attempt',
    permission: 'effects:read',
    params: EffectParams,
    response: { 200: EffectDetail },
    errors: [],
  }),
  retry: endpoint({
    method: 'POST',
    path: `${base}/:id/retry`,
    summary: 'Attempt a dead, failed or cancelled effect again now',
    permission: 'effects:write',
    params: EffectParams,
    response: { 200: Effect },
    errors: ['CONFLICT'],
  }),
  cancel: endpoint({
    method: 'POST',
    path: `${base}/:id/cancel`,
    summary: 'Cancel a pending or retrying effect',
    permission: 'effects:write',
    params: EffectParams,
    response: { 200: Effect },
    errors: ['CONFLICT'],
  }),
  replay: endpoint({
    method: 'POST',
    path: `${base}/replay`,
    summary: 'Send again everything an endpoint was sent since a time (same webhook-id)',
    permission: 'effects:write',
    params: OrgParams,
    body: ReplayBody,
    response: { 202: ReplayResult },
    errors: [],
  }),
} as const;
