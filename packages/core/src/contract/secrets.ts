import { z } from 'zod';
import { Id, PageCursor, PositiveInt4, PositiveInt4Query, Text, Timestamp } from './common.js';
import { EnvironmentParams } from './projects.js';

/**
 * `:name` is checked by the service (after the project and environment are found), so a bad name
 * answers with the naming rule and a missing project still answers 404 first.
 */
export const SecretParams = EnvironmentParams.extend({ name: Text.trim().min(1).max(300) });

const EnvironmentRef = z.object({ id: Id, name: z.string() });
const ReleaseRef = z.object({
  number: z.number().int(),
  createdAt: Timestamp,
  rollbackOf: z.number().int().nullable().describe('the live release is a rollback to this release'),
});

export const SetSecretBody = z.strictObject({
  value: Text.describe('the new value, at most 64 KiB; the current value again makes no new version'),
});

export const SecretStatus = z
  .enum(['live', 'pending', 'pending_removal'])
  .describe(
    'live: the current release runs this version; pending: set or changed since, waits for the next deploy; pending_removal: unset, still in the release',
  );
export type SecretStatus = z.infer<typeof SecretStatus>;

export const SecretSummary = z.object({
  name: z.string(),
  status: SecretStatus,
  managed: z
    .boolean()
    .describe('kept by Latchkey (e.g. DATABASE_URL of the environment database): read-only'),
  version: z.number().int().nullable().describe('null without secrets:read'),
  releasedVersion: z.number().int().nullable().describe('the version the current release pins, if any'),
  masked: z.string().nullable().describe('a fixed mask when a value exists; null without secrets:read'),
  updatedAt: Timestamp.nullable(),
  updatedBy: z.string().nullable(),
});
export type SecretSummary = z.infer<typeof SecretSummary>;

export const SecretList = z.object({
  items: z.array(SecretSummary),
  nextCursor: z.string().nullable(),
  environment: EnvironmentRef,
  release: ReleaseRef.nullable().describe('the current release, against which status is computed'),
});
export type SecretList = z.infer<typeof SecretList>;

export const SecretChange = z.object({
  name: z.string(),
  version: z.number().int(),
  action: z.enum(['set', 'unset', 'rollback', 'import', 'managed']),
  environment: EnvironmentRef,
  unchanged: z.boolean().describe('the value equals the current one: no new version was made'),
});
export type SecretChange = z.infer<typeof SecretChange>;

export const SecretValue = z.object({
  name: z.string(),
  version: z.number().int(),
  value: z
    .string()
    .describe(
      'with secret references (NAME in dollar-braces) resolved against the newest values, unless raw=true',
    ),
  /** Secrets the value was resolved from (`NAME`, or `environment.NAME` elsewhere); empty when raw or plain. */
  references: z.array(z.string()).optional(),
  managed: z.boolean(),
  environment: EnvironmentRef,
  updatedAt: Timestamp,
  updatedBy: z.string().nullable(),
});
export type SecretValue = z.infer<typeof SecretValue>;

export const GetSecretQuery = z.strictObject({
  version: PositiveInt4Query.optional().describe('an older version (default: the newest)'),
  raw: z.enum(['true', 'false']).optional().describe('the stored value, secret references left as written'),
});

export const SecretHistoryQuery = z.strictObject({
  reveal: z.enum(['true', 'false']).optional().describe('include values (each reveal is audited)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});

export const SecretVersion = z.object({
  version: z.number().int(),
  action: z.enum(['set', 'unset', 'rollback', 'import', 'managed']),
  rolledBackTo: z.number().int().nullable().describe('for a rollback: the version whose value it copied'),
  createdAt: Timestamp,
  createdBy: z.string().nullable(),
  releases: z.array(z.number().int()).describe('release numbers that pinned this version'),
  value: z.string().nullable().optional().describe('only with reveal=true; null for an unset'),
});
export type SecretVersion = z.infer<typeof SecretVersion>;

export const SecretHistory = z.object({
  name: z.string(),
  environment: EnvironmentRef,
  items: z.array(SecretVersion),
  nextCursor: z.string().nullable(),
});
export type SecretHistory = z.infer<typeof SecretHistory>;

export const RollbackSecretBody = z.strictObject({ version: PositiveInt4 });

export const ImportSecretsBody = z.strictObject({
  content: Text.describe('.env text: NAME=value lines, comments, quotes'),
  dryRun: z.boolean().optional().describe('report what would change without changing anything'),
});

export const ImportedSecrets = z.object({
  environment: EnvironmentRef,
  added: z.array(z.string()),
  changed: z.array(z.string()),
  unchanged: z.array(z.string()),
  dryRun: z.boolean(),
});
export type ImportedSecrets = z.infer<typeof ImportedSecrets>;

export const ReleasedSecretsQuery = z.strictObject({
  latest: z
    .enum(['true', 'false'])
    .optional()
    .describe('the newest versions instead of the current release (what the next deploy would pin)'),
});

export const ReleasedSecrets = z.object({
  environment: EnvironmentRef,
  source: z.enum(['release', 'latest']),
  release: ReleaseRef.nullable(),
  values: z.record(z.string(), z.string()).describe('name → value'),
});
export type ReleasedSecrets = z.infer<typeof ReleasedSecrets>;

export const CompareSecretsQuery = z.strictObject({
  from: Text.trim().min(1).max(64).describe('an environment of the project, e.g. staging'),
  to: Text.trim().min(1).max(64).describe('another environment, e.g. production'),
  reveal: z.enum(['true', 'false']).optional().describe('include the differing values (audited)'),
});

export const SecretsComparison = z.object({
  from: EnvironmentRef,
  to: EnvironmentRef,
  onlyInFrom: z.array(z.string()),
  onlyInTo: z.array(z.string()),
  different: z.array(
    z.object({
      name: z.string(),
      from: z.string().optional().describe('only with reveal=true'),
      to: z.string().optional().describe('only with reveal=true'),
    }),
  ),
  same: z.array(z.string()),
  revealed: z.boolean(),
});
export type SecretsComparison = z.infer<typeof SecretsComparison>;

export const PromoteSecretsBody = z.strictObject({
  from: Text.trim().min(1).max(64).describe('the source environment'),
  names: z.array(Text.trim().min(1).max(256)).max(1000).optional().describe('only these (default: all)'),
  dryRun: z.boolean().optional().describe('say what would change, change nothing'),
});

export const PromotedSecrets = ImportedSecrets.extend({ from: EnvironmentRef });
export type PromotedSecrets = z.infer<typeof PromotedSecrets>;
