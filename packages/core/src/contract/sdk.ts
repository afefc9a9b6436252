import { z } from 'zod';
import { Id, INT4_MAX, PositiveInt4, Text, TimestampInput } from './common.js';

// ---- pushed invalidation: GET /api/v1/orgs/:org/projects/:project/events ----

export const KeyEventsQuery = z.strictObject({
  environment: Text.trim().min(1).max(64).describe('the environment whose key changes to stream'),
  lastEventId: Text.max(100).optional().describe('resume after this event (or the Last-Event-ID header)'),
});
export type KeyEventsQuery = z.infer<typeof KeyEventsQuery>;

/** What happened to a key (or, for `manifest`, to the environment's scopes and grants). */
export const KEY_EVENT_KINDS = ['revoked', 'rotated', 'deleted', 'updated', 'manifest'] as const;
export type KeyEventKind = (typeof KEY_EVENT_KINDS)[number];

/**
 * One server-sent event's data. `hashes` are SHA-256 (hex) of the affected secrets, never a token:
 * an SDK evicts those entries; `manifest` (no hashes) drops every entry, grants may have changed.
 */
export type KeyEventData = { kind: KeyEventKind; hashes: string[] };

/**
 * The first event of every stream (`event: hello`); its id is a position in the key-event log all
 * nodes share, so a stream resumes on any node. `resumed` false means events may have been missed
 * since the given Last-Event-ID: drop everything cached. `cache` false (older servers) means serve
 * nothing from a cache until a later `hello` or `reset` says otherwise. `degraded` lists what the
 * node cannot do now (`listen`: it lost its database listener; changes arrive late, after its
 * catch-up): an SDK keeps serving its cache as if offline, within `offlineGrace`.
 *
 * Later frames: key events (`revoked`, … with ids), `status` `{ degraded }` when that list
 * changes, and `reset` `{ cache }` when events were lost for good (drop the cache).
 */
export type KeyStreamHello = {
  resumed: boolean;
  cache: boolean;
  environment: string;
  heartbeatMs: number;
  degraded?: string[];
};

/** `event: status`: what the node cannot do now; empty when it is healthy again. */
export type KeyStreamStatus = { degraded: string[] };

// ---- usage reporting: POST /api/v1/orgs/:org/projects/:project/usage ----

/** Individual events one report may carry (over all its items). */
export const USAGE_EVENTS_MAX = 50_000;

export const UsageItem = z.strictObject({
  keyId: Id,
  route: Text.max(300).nullable().describe('"GET /v1/projects/:projectId", or null outside a route'),
  outcome: Text.max(40).describe('a verification code (VALID, REVOKED, …) or RATE_LIMITED'),
  count: PositiveInt4,
  latencyMsTotal: z.number().min(0).describe('sum over `count` requests'),
  latencyMsMax: z.number().min(0),
  lastAt: TimestampInput,
  events: z
    .array(
      z
        .tuple([
          z.number().int().min(0).max(8.64e15).describe('epoch ms of the verification'),
          z.number().min(0).max(3.6e6).describe('latency in ms'),
        ])
        .describe('[at, latencyMs]'),
    )
    .max(USAGE_EVENTS_MAX)
    .optional()
    .describe(
      'each outcome on its own (newer SDKs); `count` minus these are stored as one aggregate row. Older SDKs send counts only.',
    ),
});
export type UsageItem = z.infer<typeof UsageItem>;

export const UsageReportBody = z.strictObject({
  environment: Text.max(64).optional(),
  items: z
    .array(UsageItem)
    .max(5000)
    .superRefine((items, ctx) => {
      let total = 0;
      for (const [i, item] of items.entries()) {
        const n = item.events?.length ?? 0;
        if (n > item.count)
          ctx.addIssue({ code: 'custom', path: [i, 'events'], message: 'more events than count' });
        total += n;
      }
      if (total > USAGE_EVENTS_MAX) {
        ctx.addIssue({ code: 'custom', message: `at most ${USAGE_EVENTS_MAX} events per report` });
      }
    }),
  dropped: z
    .number()
    .int()
    .min(0)
    .max(INT4_MAX)
    .default(0)
    .describe('events the SDK dropped since its last report'),
});
export type UsageReportBody = z.input<typeof UsageReportBody>;

export const UsageReportResult = z.object({
  accepted: z.number().int(),
  stored: z.number().int().describe("usage event rows stored (this project's keys only)"),
  lastUsedUpdated: z
    .number()
    .int()
    .describe('keys whose lastUsedAt moved (coalesced, once a minute per key)'),
});
export type UsageReportResult = z.infer<typeof UsageReportResult>;
