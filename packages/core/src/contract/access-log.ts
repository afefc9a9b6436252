import { z } from 'zod';
import { PageCursor, Text, Timestamp, TimestampInput } from './common.js';

/** One read of sensitive data: who read which names (never values), from where, when. */
export const AccessEntry = z.object({
  id: z.string(),
  at: Timestamp,
  actor: z.object({
    type: z.string(),
    id: z.string().nullable(),
    label: z.string().nullable(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
  }),
  action: z.string().describe('what was read: secret.read, secret.history_revealed, secrets.released, …'),
  project: z.string().nullable(),
  environment: z.string().nullable(),
  names: z.array(z.string()).describe('the secret names whose values were returned; never the values'),
  data: z.record(z.string(), z.unknown()),
});
export type AccessEntry = z.infer<typeof AccessEntry>;

export const AccessLogQuery = z.strictObject({
  since: TimestampInput.optional().describe('only entries at or after this time'),
  actor: Text.trim().min(1).max(254).optional().describe("the actor's id or label (an email, a key name)"),
  name: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, 'must be a secret name (UPPER_SNAKE_CASE)')
    .max(256)
    .optional()
    .describe('only reads that returned this secret'),
  env: Text.trim().min(1).max(64).optional().describe('only reads in this environment (by name)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});
export type AccessLogQuery = z.infer<typeof AccessLogQuery>;
