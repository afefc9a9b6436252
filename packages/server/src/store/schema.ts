import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

// Mirrors migrations/*.sql, which are the source of truth for the database.
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
/** A secret version a pinned value was resolved from (release_secrets.refs). */
export type ResolvedFrom = { environment: string; name: string; version: number };
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull(),
  name: text('name'),
  passwordHash: text('password_hash'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const orgs = pgTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  personalFor: text('personal_for'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const memberships = pgTable(
  'memberships',
  {
    orgId: text('org_id').notNull(),
    userId: text('user_id').notNull(),
    role: text('role').notNull().$type<'owner' | 'admin' | 'developer' | 'viewer'>(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] })],
);

export const invitations = pgTable('invitations', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  email: text('email').notNull(),
  role: text('role').notNull().$type<'owner' | 'admin' | 'developer' | 'viewer'>(),
  invitedBy: text('invited_by'),
  status: text('status')
    .notNull()
    .$type<'pending' | 'accepted' | 'declined' | 'revoked'>()
    .default('pending'),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
  decidedAt: ts('decided_at'),
  /** SHA-256 of the invitation link's token; null for invitations made before links existed. */
  tokenHash: bytea('token_hash'),
});

export const tokens = pgTable('tokens', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull().$type<'pat' | 'platform_key' | 'service_account_key'>(),
  tokenHash: bytea('token_hash').notNull(),
  displayPrefix: text('display_prefix').notNull(),
  name: text('name').notNull(),
  userId: text('user_id'),
  orgId: text('org_id'),
  scopes: text('scopes').array(),
  createdBy: text('created_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at'),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
  serviceAccountId: text('service_account_id'),
  previousHash: bytea('previous_hash'),
  previousExpiresAt: ts('previous_expires_at'),
  rotatedAt: ts('rotated_at'),
  /** The trust policy that issued this platform key by token exchange; null otherwise. */
  trustPolicyId: text('trust_policy_id'),
});

export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  tokenHash: bytea('token_hash').notNull(),
  userId: text('user_id').notNull(),
  createdAt: ts('created_at').notNull(),
  lastSeenAt: ts('last_seen_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  revokedAt: ts('revoked_at'),
});

export const oauthCodes = pgTable('oauth_codes', {
  codeHash: bytea('code_hash').primaryKey(),
  clientId: text('client_id').notNull(),
  userId: text('user_id').notNull(),
  redirectUri: text('redirect_uri').notNull(),
  codeChallenge: text('code_challenge').notNull(),
  deviceName: text('device_name'),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
  patId: text('pat_id'),
});

export const deviceGrants = pgTable('device_grants', {
  id: text('id').primaryKey(),
  deviceCodeHash: bytea('device_code_hash').notNull(),
  userCode: text('user_code').notNull(),
  clientId: text('client_id').notNull(),
  deviceName: text('device_name'),
  status: text('status').notNull().$type<'pending' | 'approved' | 'denied' | 'redeemed'>().default('pending'),
  userId: text('user_id'),
  intervalSeconds: integer('interval_seconds').notNull(),
  lastPolledAt: ts('last_polled_at'),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

export const setupTokens = pgTable('setup_tokens', {
  tokenHash: bytea('token_hash').primaryKey(),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

export const passwordResets = pgTable('password_resets', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull(),
  tokenHash: bytea('token_hash').notNull(),
  via: text('via').notNull().$type<'email' | 'operator'>(),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

export const auditEvents = pgTable('audit_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  orgId: text('org_id'),
  actorType: text('actor_type').notNull(),
  actorId: text('actor_id'),
  actorLabel: text('actor_label'),
  action: text('action').notNull(),
  targetType: text('target_type'),
  targetId: text('target_id'),
  data: jsonb('data').notNull().default(sql`'{}'::jsonb`),
  ip: text('ip'),
  requestId: text('request_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
  // The hash chain (migration 0009): null only on rows written before it, until start-up chains them.
  seq: bigint('seq', { mode: 'number' }),
  prevHash: bytea('prev_hash'),
  hash: bytea('hash'),
});

/** One row per audit chain: the org id, or '' for the system chain (org_id NULL). */
export const auditChainHeads = pgTable('audit_chain_heads', {
  chain: text('chain').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: bytea('hash').notNull(),
  prevHash: bytea('prev_hash'),
  at: ts('at').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const auditCheckpoints = pgTable('audit_checkpoints', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  chain: text('chain').notNull(),
  orgId: text('org_id'),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  headHash: bytea('head_hash').notNull(),
  createdAt: ts('created_at').notNull(),
  keyId: text('key_id').notNull(),
  signature: bytea('signature').notNull(),
});

export const projects = pgTable('projects', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  name: text('name').notNull(),
  keyPrefix: text('key_prefix').notNull(),
  createdBy: text('created_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const environments = pgTable('environments', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  projectId: text('project_id').notNull(),
  name: text('name').notNull(),
  createdBy: text('created_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const accessManifests = pgTable('access_manifests', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  projectId: text('project_id').notNull(),
  environmentId: text('environment_id').notNull(),
  version: integer('version').notNull(),
  manifest: jsonb('manifest').notNull(),
  pushedBy: text('pushed_by'),
  pushedAt: ts('pushed_at').notNull().defaultNow(),
});

export const serviceAccounts = pgTable('service_accounts', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  name: text('name').notNull(),
  role: text('role').notNull().$type<'admin' | 'developer' | 'viewer'>(),
  createdBy: text('created_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
  deletedAt: ts('deleted_at'),
});

export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  projectId: text('project_id').notNull(),
  environmentId: text('environment_id').notNull(),
  name: text('name').notNull(),
  scope: text('scope').notNull(),
  keyHash: bytea('key_hash').notNull(),
  displayPrefix: text('display_prefix').notNull(),
  previousHash: bytea('previous_hash'),
  previousExpiresAt: ts('previous_expires_at'),
  rotatedAt: ts('rotated_at'),
  metadata: jsonb('metadata').notNull().$type<Record<string, string>>().default(sql`'{}'::jsonb`),
  createdByType: text('created_by_type').notNull(),
  createdBy: text('created_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
  expiresAt: ts('expires_at'),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
});

// Secrets and releases (migration 0006).
export const serverMeta = pgTable('server_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const environmentKeys = pgTable('environment_keys', {
  environmentId: text('environment_id').primaryKey(),
  orgId: text('org_id').notNull(),
  wrappedKey: bytea('wrapped_key').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  rewrappedAt: ts('rewrapped_at'),
});

export const secretVersions = pgTable('secret_versions', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  projectId: text('project_id').notNull(),
  environmentId: text('environment_id').notNull(),
  name: text('name').notNull(),
  version: integer('version').notNull(),
  ciphertext: bytea('ciphertext'),
  action: text('action').notNull().$type<'set' | 'unset' | 'rollback' | 'import' | 'managed'>(),
  rolledBackTo: integer('rolled_back_to'),
  managed: boolean('managed').notNull().default(false),
  createdByType: text('created_by_type').notNull(),
  createdBy: text('created_by'),
  createdByLabel: text('created_by_label'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const releases = pgTable('releases', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  projectId: text('project_id').notNull(),
  environmentId: text('environment_id').notNull(),
  number: integer('number').notNull(),
  message: text('message'),
  manifestVersion: integer('manifest_version'),
  rollbackOf: integer('rollback_of'),
  variables: integer('variables').notNull(),
  createdByType: text('created_by_type').notNull(),
  createdBy: text('created_by'),
  createdByLabel: text('created_by_label'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const releaseSecrets = pgTable(
  'release_secrets',
  {
    releaseId: text('release_id').notNull(),
    name: text('name').notNull(),
    secretVersionId: text('secret_version_id').notNull(),
    version: integer('version').notNull(),
    /** The value with its references replaced, encrypted; null when it has none (migration 0022). */
    resolved: bytea('resolved'),
    /** What it was resolved from: names and versions, never values. */
    refs: jsonb('refs').$type<ResolvedFrom[]>(),
  },
  (t) => [primaryKey({ columns: [t.releaseId, t.name] })],
);

export const environmentDatabases = pgTable('environment_databases', {
  environmentId: text('environment_id').primaryKey(),
  orgId: text('org_id').notNull(),
  databaseName: text('database_name').notNull(),
  roleName: text('role_name').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const identityLinks = pgTable('identity_links', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull(),
  issuer: text('issuer').notNull(),
  subject: text('subject').notNull(),
  email: text('email'),
  createdAt: ts('created_at').notNull(),
  lastUsedAt: ts('last_used_at'),
});

export const ssoRequests = pgTable('sso_requests', {
  stateHash: bytea('state_hash').primaryKey(),
  codeVerifier: text('code_verifier').notNull(),
  nonce: text('nonce').notNull(),
  next: text('next'),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

export const trustPolicies = pgTable('trust_policies', {
  id: text('id').primaryKey(),
  orgId: text('org_id').notNull(),
  name: text('name').notNull(),
  issuer: text('issuer').notNull(),
  audience: text('audience').notNull(),
  claims: jsonb('claims').notNull().$type<Array<{ claim: string; value: string; glob?: boolean }>>(),
  scopes: text('scopes').array().notNull(),
  ttlSeconds: integer('ttl_seconds').notNull(),
  createdBy: text('created_by'),
  createdAt: ts('created_at').notNull(),
  lastUsedAt: ts('last_used_at'),
});

/** Reads of sensitive data (migration 0015): append-only, names never values (services/access-log). */
export const accessEvents = pgTable('access_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  orgId: text('org_id').notNull(),
  actorType: text('actor_type').notNull(),
  actorId: text('actor_id'),
  actorLabel: text('actor_label'),
  action: text('action').notNull(),
  project: text('project'),
  environment: text('environment'),
  names: text('names').array().notNull().default(sql`'{}'::text[]`),
  data: jsonb('data').notNull().default(sql`'{}'::jsonb`),
  ip: text('ip'),
  requestId: text('request_id'),
  createdAt: ts('created_at').notNull(),
});
