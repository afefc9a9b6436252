import { z } from 'zod';
import { DISPLAY_NAME_RE, DISPLAY_NAME_RULE, Id, OrgParams, Text, Timestamp } from './common.js';

/** `90d`, `12h`, `30m`, or a day count; the service range-checks it and names the rule when out of range. */
const DurationInput = z.union([Text.max(20), z.number().int()]);

/** Status of an org-bound key (SPEC 2 "Lifecycle"); `suspended` only for platform keys. */
export const KeyStatus = z.enum(['active', 'expiring', 'rotating', 'expired', 'revoked', 'suspended']);
export type KeyStatus = z.infer<typeof KeyStatus>;

export const KeyParams = OrgParams.extend({ id: Id });

// ---- platform keys (`lk_key_…`) ----

export const PlatformKey = z.object({
  id: Id,
  kind: z.literal('platform_key'),
  name: z.string(),
  prefix: z.string().describe('the token prefix and its first 4 random characters'),
  scopes: z.array(z.string()),
  createdBy: z.string().nullable().describe("the creator's email; null once that user is deleted"),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
  rotatingUntil: Timestamp.nullable().describe('the replaced secret keeps working until then'),
  status: KeyStatus,
});
export type PlatformKey = z.infer<typeof PlatformKey>;

export const CreatePlatformKeyBody = z.strictObject({
  name: Text.trim().min(1).max(100),
  scopes: z.array(Text.max(64)).min(1).max(32).describe('`resource:level`, e.g. deploy:write'),
  expiresIn: DurationInput.optional().describe('1h to 365d; no expiry when absent'),
});

export const RotateKeyBody = z.strictObject({
  gracePeriod: DurationInput.optional().describe('0 to 30d, default 24h; never past the expiry of the key'),
});

export const CreatedPlatformKey = PlatformKey.extend({ token: z.string().describe('shown once') });
export type CreatedPlatformKey = z.infer<typeof CreatedPlatformKey>;

// ---- service accounts and their keys (`lk_sa_…`) ----

export const ServiceAccountRole = z.enum(['admin', 'developer', 'viewer']);
export type ServiceAccountRole = z.infer<typeof ServiceAccountRole>;

/** Like org names: they appear in paths (`/service-accounts/:id` takes an id or a name). */
export const ServiceAccountName = Text.trim()
  .normalize('NFC')
  .min(1)
  .max(64)
  .regex(DISPLAY_NAME_RE, DISPLAY_NAME_RULE);

export const ServiceAccount = z.object({
  id: Id,
  name: z.string(),
  role: ServiceAccountRole,
  createdBy: z.string().nullable().describe("the creator's email; null once that user is deleted"),
  createdAt: Timestamp,
  activeKeys: z.number().int(),
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;

export const CreateServiceAccountBody = z.strictObject({
  name: ServiceAccountName,
  role: ServiceAccountRole,
});

/** `:id` is the service account's id or its name (any case). */
export const ServiceAccountParams = OrgParams.extend({ id: Text.trim().min(1).max(64) });
export const ServiceAccountKeyParams = ServiceAccountParams.extend({ keyId: Id });

export const ServiceAccountKey = z.object({
  id: Id,
  kind: z.literal('service_account_key'),
  name: z.string(),
  prefix: z.string(),
  serviceAccount: z.object({ id: Id, name: z.string() }),
  createdBy: z.string().nullable(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
  rotatingUntil: Timestamp.nullable().describe(
    'after a rotation, the replaced secret keeps working until then',
  ),
  status: KeyStatus.exclude(['suspended']),
});
export type ServiceAccountKey = z.infer<typeof ServiceAccountKey>;

export const CreateServiceAccountKeyBody = z.strictObject({
  name: Text.trim().min(1).max(100).optional().describe("defaults to the service account's name"),
  expiresIn: DurationInput.optional().describe('1h to 365d; no expiry when absent'),
});

export const CreatedServiceAccountKey = ServiceAccountKey.extend({
  token: z.string().describe('shown once'),
});
export type CreatedServiceAccountKey = z.infer<typeof CreatedServiceAccountKey>;
