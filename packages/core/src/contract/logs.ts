import { z } from 'zod';
import { Id, PageCursor, Text, Timestamp, TimestampInput } from './common.js';

// ---- `latch logs`: one environment's events (SPEC section 3: logs:read) ----

/**
 * verify: a verification that passed; denied: one that failed (revoked, expired, unknown key,
 * missing scope, …); rate_limited: refused by a rate limit; audit: a change recorded in the
 * environment's audit trail; release: a deploy or rollback; delivery: webhook deliveries, which
 * arrive with the effects issue (until then the type is accepted and yields nothing).
 */
export const LOG_EVENT_TYPES = ['verify', 'denied', 'rate_limited', 'audit', 'release', 'delivery'] as const;
export type LogEventType = (typeof LOG_EVENT_TYPES)[number];

/** `verify,denied`: a comma-separated subset of LOG_EVENT_TYPES (default: all). */
export const LogTypeList = Text.max(200)
  .regex(
    new RegExp(`^(${LOG_EVENT_TYPES.join('|')})(,(${LOG_EVENT_TYPES.join('|')}))*$`),
    `a comma-separated list of ${LOG_EVENT_TYPES.join(', ')}`,
  )
  .describe(`comma-separated: ${LOG_EVENT_TYPES.join(', ')}`);

/**
 * A position in the log: `<xid>-<source>-<id>`, the same on every node and across restarts
 * (server: services/logs/position.ts). Opaque to clients.
 */
export const LogPosition = z
  .string()
  .max(80)
  .regex(/^\d{1,20}-[0-3]-\d{1,20}$/, 'must be the id of an event this stream sent');

export const LogFilterQuery = z.strictObject({
  type: LogTypeList.optional(),
  key: Id.optional().describe('only verifications of this API key'),
});

export const LogListQuery = LogFilterQuery.extend({
  since: TimestampInput.optional().describe('default: one hour ago'),
  until: TimestampInput.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
  cursor: PageCursor.optional(),
});
export type LogListQuery = z.input<typeof LogListQuery>;

export const LogStreamQuery = LogFilterQuery.extend({
  backlog: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(20)
    .describe('events sent first from before the stream opened (ignored when resuming)'),
  lastEventId: LogPosition.optional().describe('resume after this event (or the Last-Event-ID header)'),
});
export type LogStreamQuery = z.input<typeof LogStreamQuery>;

export const LogEvent = z.object({
  id: z.string().describe('the position: resume a stream after it with Last-Event-ID'),
  type: z.enum(LOG_EVENT_TYPES),
  at: Timestamp,
  // Verifications (verify, denied, rate_limited).
  keyId: z.string().nullable(),
  keyName: z.string().nullable(),
  route: z.string().nullable(),
  outcome: z.string().nullable().describe('VALID, REVOKED, …, RATE_LIMITED'),
  latencyMs: z.number().nullable().describe('for an aggregate row: the mean'),
  count: z.number().int().describe('1, or the outcomes an older SDK reported as one count'),
  clientAddr: z.string().nullable().describe('the address the usage report came from'),
  // Audit and release events.
  action: z.string().nullable(),
  actor: z.string().nullable(),
  target: z.string().nullable(),
  detail: z.string().nullable().describe('a name or release number; never a value'),
});
export type LogEvent = z.infer<typeof LogEvent>;
