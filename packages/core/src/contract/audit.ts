import { z } from 'zod';
import { PageCursor, Text, Timestamp, TimestampInput } from './common.js';

/** Who did it, as recorded in the row (the label is an email or a key's name). */
export const AuditActor = z.object({
  type: z.string(),
  id: z.string().nullable(),
  label: z.string().nullable(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
});

/** One row of an org's audit chain, as list pages and export lines show it. */
export const AuditEvent = z.object({
  id: z.string(),
  /** The row's place in the org's chain (1, 2, …); null only for a row written outside the chain. */
  seq: z.number().int().nullable(),
  at: Timestamp,
  actor: AuditActor,
  action: z.string(),
  target: z.object({ type: z.string().nullable(), id: z.string().nullable() }).nullable(),
  data: z.unknown(),
  /** SHA-256 of the row's canonical encoding and of the row before it, hex. */
  hash: z.string().nullable(),
  prevHash: z.string().nullable(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

const Filter = Text.trim().min(1).max(200);

/** The filters list and export share. */
const AuditFilters = {
  since: TimestampInput.optional().describe('only rows at or after this time'),
  actor: Filter.optional().describe("the actor's id or label (an email, a key name)"),
  action: Filter.optional().describe('an action, or a prefix ending in `.` or `*` (`secret.*`)'),
  target: Filter.optional().describe('a target id, or `type:id`'),
};

export const ListAuditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
  ...AuditFilters,
});
export type ListAuditQuery = z.infer<typeof ListAuditQuery>;

export const ExportAuditQuery = z.strictObject({
  ...AuditFilters,
  format: z.enum(['ndjson']).default('ndjson'),
});
export type ExportAuditQuery = z.infer<typeof ExportAuditQuery>;

/**
 * A signed statement of a chain's head (`latch audit checkpoint --out FILE`). The signature is
 * Ed25519 over the RFC 8785 encoding of every other field, checkable without Latchkey.
 */
export const AuditCheckpoint = z.object({
  type: z.literal('latchkey.audit.checkpoint'),
  v: z.literal(1),
  org: z.string().nullable(),
  seq: z.number().int().nonnegative(),
  headHash: z.string(),
  time: Timestamp,
  keyId: z.string(),
  publicKey: z.string(),
  signature: z.string(),
});
export type AuditCheckpoint = z.infer<typeof AuditCheckpoint>;

/** The server checks the checkpoint's shape and signature itself (a 400 naming what is wrong). */
export const VerifyAuditBody = z.strictObject({
  checkpoint: z.record(z.string(), z.unknown()).optional().describe('a checkpoint kept earlier, unchanged'),
});
export type VerifyAuditBody = z.infer<typeof VerifyAuditBody>;

export const AUDIT_BAD_REASONS = [
  'edited',
  'deleted',
  'inserted',
  'reordered',
  'truncated',
  'rewritten',
] as const;

export const AuditVerifyResult = z.object({
  ok: z.boolean(),
  /** Rows checked, up to and including the first bad one. */
  rows: z.number().int(),
  head: z.object({ seq: z.number().int(), hash: z.string() }),
  firstBad: z
    .object({
      seq: z.number().int().nullable(),
      id: z.string().nullable(),
      reason: z.enum(AUDIT_BAD_REASONS),
      detail: z.string(),
    })
    .optional(),
  checkpoint: z.object({ seq: z.number().int(), matched: z.boolean() }).optional(),
});
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>;
