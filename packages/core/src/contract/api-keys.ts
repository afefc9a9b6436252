import { z } from 'zod';
import { Id, OrgParams, PageQuery, Text, Timestamp } from './common.js';

/** App API-key scope names are the project's own (SPEC 4): `read`, `orders:read`, `billing.export`. */
export const API_KEY_SCOPE_RE = /^[a-z][a-z0-9_.:-]{0,63}$/;
export const ApiKeyScopeName = z
  .string()
  .regex(API_KEY_SCOPE_RE, 'must be a scope name like read or orders:read');

/** Metadata travels with the key into every verification, so it is kept small and flat. */
export const API_KEY_METADATA_LIMITS = {
  maxKeys: 20,
  keyPattern: /^[a-zA-Z0-9_.-]{1,40}$/,
  maxValueLength: 500,
};
export const ApiKeyMetadata = z
  .record(
    z.string().regex(API_KEY_METADATA_LIMITS.keyPattern, 'metadata keys are 1–40 of a-z A-Z 0-9 _ . -'),
    Text.max(API_KEY_METADATA_LIMITS.maxValueLength, 'metadata values are at most 500 characters'),
  )
  .refine((m) => Object.keys(m).length <= API_KEY_METADATA_LIMITS.maxKeys, 'at most 20 metadata keys');
export type ApiKeyMetadata = z.infer<typeof ApiKeyMetadata>;

export const ApiKeyStatus = z.enum(['active', 'expiring', 'rotating', 'expired', 'revoked']);
export type ApiKeyStatus = z.infer<typeof ApiKeyStatus>;

/** `:project` is a project id or its name (any case). */
export const ApiKeyProjectParams = OrgParams.extend({ project: Text.trim().min(1).max(64) });
export const ApiKeyParams = ApiKeyProjectParams.extend({ id: Id });

export const ApiKey = z.object({
  kind: z.literal('api_key'),
  id: Id,
  name: z.string(),
  prefix: z.string().describe("the project's prefix and the first 4 random characters"),
  scope: z.string(),
  environment: z.string(),
  metadata: z.record(z.string(), z.string()),
  createdAt: Timestamp,
  createdBy: z
    .string()
    .nullable()
    .describe("the creator's email; null for a service account or once that user is deleted"),
  lastUsedAt: Timestamp.nullable().describe('coalesced: updated at most once a minute'),
  expiresAt: Timestamp.nullable(),
  rotatingUntil: Timestamp.nullable().describe('the replaced secret keeps working until then'),
  revokedAt: Timestamp.nullable(),
  status: ApiKeyStatus,
});
export type ApiKey = z.infer<typeof ApiKey>;

export const CreatedApiKey = ApiKey.extend({ token: z.string().describe('shown once, never again') });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

const DurationInput = z.union([Text.max(20), z.number().int()]);

export const CreateApiKeyBody = z.strictObject({
  scope: ApiKeyScopeName.describe("one scope declared by the environment's access manifest"),
  name: Text.trim().min(1).max(100),
  environment: Text.trim().min(1).max(40),
  expiresIn: DurationInput.optional().describe('1h to 365d; no expiry when absent'),
  metadata: ApiKeyMetadata.optional(),
});
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

export const ListApiKeysQuery = PageQuery.extend({
  scope: Text.max(64).optional(),
  env: Text.max(40).optional(),
  status: ApiKeyStatus.optional(),
});
export type ListApiKeysQuery = z.infer<typeof ListApiKeysQuery>;

export const RotateApiKeyBody = z.strictObject({
  gracePeriod: DurationInput.optional().describe("0 to 30d, default 24h; never past the key's own expiry"),
});
export type RotateApiKeyBody = z.infer<typeof RotateApiKeyBody>;

// ---- verification ----

export const VERIFY_CODES = [
  'VALID',
  'NOT_FOUND',
  'EXPIRED',
  'REVOKED',
  'WRONG_ENVIRONMENT',
  'INSUFFICIENT_SCOPE',
  'MALFORMED',
] as const;
export const VerifyCode = z.enum(VERIFY_CODES);
export type VerifyCode = z.infer<typeof VerifyCode>;

export const VerifyBody = z.strictObject({
  // Not format-checked here: a bad key is an answer (MALFORMED), not a 400; text no key can
  // contain (NUL, a lone surrogate) is refused like in every other field.
  key: Text.max(512),
  environment: Text.max(64).optional().describe('refuse keys of any other environment'),
  scope: Text.max(64).optional().describe("the route's scope; the key's must equal or cover it"),
});
export type VerifyBody = z.infer<typeof VerifyBody>;

/** Entity → actions, e.g. `{ Task: ['read', 'write'] }`. */
export const ScopeGrants = z.record(z.string(), z.array(z.string()));
export type ScopeGrants = z.infer<typeof ScopeGrants>;

export const VerifyResult = z.object({
  valid: z.boolean(),
  code: VerifyCode,
  keyId: Id.nullable(),
  name: z.string().nullable(),
  scope: z.string().nullable(),
  grants: ScopeGrants.nullable().describe("the key scope's grants in the current manifest"),
  environment: z.string().nullable(),
  metadata: z.record(z.string(), z.string()).nullable(),
  expiresAt: Timestamp.nullable(),
  rotatingUntil: Timestamp.nullable().describe('set while a rotation grace period runs'),
});
export type VerifyResult = z.infer<typeof VerifyResult>;
