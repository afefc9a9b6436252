import { z } from 'zod';
import { Id, OrgParams, PageQuery, StorableJson, Text, Timestamp } from './common.js';
import { ProjectParams } from './projects.js';

/**
 * Platform events an endpoint may subscribe to. Each is enqueued in the transaction of the change
 * that causes it (the one that writes its audit entry), so neither exists without the other.
 */
export const WEBHOOK_EVENTS = [
  'api_key.created',
  'api_key.revoked',
  'api_key.rotated',
  'release.created',
  'release.rolled_back',
  'secret.changed',
  'member.added',
  'member.removed',
  'member.role_changed',
  'project.created',
  'environment.created',
  'environment.deleted',
  'platform_key.created',
  'platform_key.revoked',
  'service_account.created',
  'service_account.deleted',
  'endpoint.disabled',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The largest body an effect carries (a webhook's event or an app's payload). */
export const MAX_EFFECT_PAYLOAD_BYTES = 256 * 1024;

/** Standard Webhooks retry schedule: seconds before attempts 2..8 (attempt 1 is immediate). */
export const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000] as const;

export const EFFECT_STATES = ['pending', 'in_flight', 'retrying', 'delivered', 'dead', 'cancelled'] as const;
export type EffectState = (typeof EFFECT_STATES)[number];

const WebhookUrl = Text.trim()
  .max(2048)
  .refine((u) => {
    try {
      const url = new URL(u);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials, e.g. https://example.com/hooks');

const EventList = z
  .array(z.enum(WEBHOOK_EVENTS, { error: `must be one of: ${WEBHOOK_EVENTS.join(', ')}` }))
  .min(1)
  .max(WEBHOOK_EVENTS.length);

export const WebhookEndpoint = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  failingSince: Timestamp.nullable(),
  /** Until when the previous secret also signs (after rotate-secret). */
  previousSecretExpiresAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

/** Only in the answer to create and rotate-secret: the signing secret, shown once. */
export const WebhookEndpointWithSecret = WebhookEndpoint.extend({ secret: z.string() });
export type WebhookEndpointWithSecret = z.infer<typeof WebhookEndpointWithSecret>;

export const CreateWebhookBody = z.strictObject({
  url: WebhookUrl,
  events: EventList,
  description: Text.trim().max(200).optional(),
});
export const UpdateWebhookBody = z
  .strictObject({
    url: WebhookUrl.optional(),
    events: EventList.optional(),
    description: Text.trim().max(200).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one of url, events, description, enabled');

export const WebhookParams = OrgParams.extend({ id: Id });

/** An app's retry policy: attempts in all (1 = no retry) and the seconds between them. */
export const RetryPolicy = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(20).optional(),
    /** Seconds before attempt 2, 3, …; the last value repeats. Default: the webhook schedule. */
    backoffSeconds: z.array(z.number().int().min(0).max(86_400)).min(1).max(19).optional(),
  })
  .describe('maxAttempts 1..20; backoffSeconds: 1..19 integers of 0..86400');

const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name')
  .refine(
    (h) => !/^(host|content-length|transfer-encoding|connection|webhook-.*)$/i.test(h),
    'is set by Latchkey and cannot be given',
  );

export const EnqueueEffectBody = z.strictObject({
  url: WebhookUrl,
  /** Any JSON value; sent as the request body (application/json), at most 256 KiB encoded. */
  payload: StorableJson,
  headers: z.record(HeaderName, Text.max(1024).regex(/^[^\r\n]*$/, 'must be one line')).optional(),
  retry: RetryPolicy.optional(),
  /** Same key within 24 hours: the first effect is returned and nothing new is enqueued. */
  idempotencyKey: Text.trim().min(1).max(200).optional(),
  environment: Text.trim().min(1).max(64).optional(),
});

export const EffectAttempt = z.object({
  attempt: z.number(),
  startedAt: Timestamp,
  latencyMs: z.number().nullable(),
  status: z.number().nullable(),
  outcome: z.string(),
  error: z.string().nullable(),
  responseSnippet: z.string().nullable(),
});

export const Effect = z.object({
  id: z.string(),
  messageId: z.string(),
  kind: z.enum(['webhook', 'app']),
  eventType: z.string().nullable(),
  endpointId: z.string().nullable(),
  project: z.string().nullable(),
  url: z.string(),
  state: z.enum(EFFECT_STATES),
  attempts: z.number(),
  maxAttempts: z.number(),
  nextAttemptAt: Timestamp.nullable(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
});
export type Effect = z.infer<typeof Effect>;

export const EffectDetail = Effect.extend({ attemptLog: z.array(EffectAttempt) });
export type EffectDetail = z.infer<typeof EffectDetail>;

/** The first effect for this idempotency key is answered with `duplicate: true`. */
export const EnqueuedEffect = Effect.extend({ duplicate: z.boolean() });
export type EnqueuedEffect = z.infer<typeof EnqueuedEffect>;

export const EffectsStatus = z.object({
  counts: z.record(z.string(), z.number()),
  oldestPendingSeconds: z.number().nullable(),
  deliveredLast5Minutes: z.number(),
  perMinute: z.number(),
  latestFailures: z.array(
    z.object({
      id: z.string(),
      url: z.string(),
      status: z.number().nullable(),
      error: z.string().nullable(),
      at: Timestamp,
    }),
  ),
});
export type EffectsStatus = z.infer<typeof EffectsStatus>;

export const EffectParams = OrgParams.extend({ id: Id });
export const EffectsQuery = PageQuery.extend({
  state: z.enum(EFFECT_STATES).optional(),
  endpoint: Id.optional(),
  environment: Text.trim().min(1).max(64).optional(),
});
export const EffectsStatusQuery = z.strictObject({ environment: Text.trim().min(1).max(64).optional() });
export const ReplayBody = z.strictObject({
  endpoint: Id,
  /** ISO date-time: every effect for the endpoint created since then is sent again. */
  since: z.iso.datetime({ offset: true }),
});
export const ReplayResult = z.object({ enqueued: z.number() });
/** Purge of finished effects; the state and duration are checked by the service (hints there). */
export const PurgeBody = z.strictObject({
  state: z.string().max(40),
  /** A duration (`7d`, `12h`, at least 1h): effects last updated longer ago than this go. */
  olderThan: z.string().max(20),
  endpoint: Id.optional(),
  environment: Text.optional(),
  dryRun: z.boolean().optional(),
});
export const PurgeResult = z.object({ count: z.number(), dryRun: z.boolean() });
export const EffectProjectParams = ProjectParams;
