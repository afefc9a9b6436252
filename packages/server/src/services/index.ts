import type pg from 'pg';
import type { Clock } from '../clock.js';
import type { ServerConfig } from '../config.js';
import { type Db, poolOf } from '../store/db.js';
import { createLookupCache, noLookupCache } from '../store/lookups.js';
import type { EventBus } from '../store/notify.js';
import { createAccessLogService } from './access-log/access-log.service.js';
import { createApiKeysService } from './api-keys/api-keys.service.js';
import { createAppDatabasesService } from './app-databases/app-databases.service.js';
import { createAuditLogService } from './audit/audit-log.service.js';
import { ephemeralSigner } from './audit/signing.js';
import { createEffectsService } from './effects/effects.service.js';
import { createWebhooksService } from './effects/webhooks.service.js';
import { createWorker } from './effects/worker.js';
import { createIdentityService } from './identity/identity.service.js';
import { createIdentityLinksService } from './identity/identity-links.service.js';
import { createOidcBearer } from './identity/oidc-bearer.js';
import { createPasswordResetService } from './identity/password-reset.service.js';
import { createPasswordSignInService } from './identity/password-sign-in.service.js';
import { createSetupService } from './identity/setup.service.js';
import { createSsoService } from './identity/sso.service.js';
import { createUpstream } from './identity/upstream.js';
import { createLastUsedRecorder } from './last-used.js';
import { createLogsService } from './logs/logs.service.js';
import { createMailer } from './mail/mail.service.js';
import { createInvitationLinksService } from './members/invitation-links.service.js';
import { createInvitationsService } from './members/invitations.service.js';
import { createMembersService } from './members/members.service.js';
import { createOAuthService } from './oauth/oauth.service.js';
import { createOrgsService } from './orgs/orgs.service.js';
import { createRemovalService } from './orgs/removal.service.js';
import { createPlatformKeysService } from './platform-keys/platform-keys.service.js';
import { createEnvironmentsService } from './projects/environments.service.js';
import { createManifestsService } from './projects/manifests.service.js';
import { createProjectsService } from './projects/projects.service.js';
import { createReleasesService } from './releases/releases.service.js';
import { createKeyEventsService } from './sdk/key-events.service.js';
import { createUsageService } from './sdk/usage.service.js';
import { createKeyring } from './secrets/keyring.js';
import { createSecretsService } from './secrets/secrets.service.js';
import { createSecretsCompareService } from './secrets/secrets-compare.service.js';
import { createSecretsReadService } from './secrets/secrets-read.service.js';
import { createServiceAccountsService } from './service-accounts/service-accounts.service.js';
import { createTokensService } from './tokens/tokens.service.js';
import { createTokenExchange } from './trust-policies/exchange.service.js';
import { createIssuerKeys } from './trust-policies/issuers.js';
import { createTrustPoliciesService } from './trust-policies/trust-policies.service.js';

export type ServiceDeps = {
  db: Db;
  /** The database's pool for verification's cache-miss look-ups (store/db.ts). */
  verifyPool: pg.Pool;
  clock: Clock;
  config: ServerConfig;
  bus?: EventBus;
};

/** Each service gets only the dependencies it uses (DESIGN rule 5). */
export function createServices({ db, verifyPool, clock, config, bus }: ServiceDeps) {
  // The upstream OIDC provider (LATCH_OIDC_*): browser SSO and OIDC bearer tokens on /api/v1.
  const upstream = config.oidc ? createUpstream(config.oidc) : null;
  const external = upstream ? createOidcBearer({ db, clock, upstream }) : null;
  // One recorder for every path that reports a credential's use, so its throttle is shared.
  const lastUsed = createLastUsedRecorder({ db, clock });
  // The look-ups nearly every request makes (credential, org standing, project, environment,
  // manifest), memoised per node; without a bus to hear other nodes' changes by, none are.
  const lookups = bus ? createLookupCache(poolOf(db), bus) : noLookupCache;
  const tokens = createTokensService({ db, clock, lastUsed, external, lookups });
  const orgs = createOrgsService({ db, clock, lookups });
  const identityCore = createIdentityService({ db, clock, config, orgs });
  const sso = createSsoService({ db, clock, config, identity: identityCore, upstream });
  const identityLinks = createIdentityLinksService({ db, clock });
  // Password sign-in and first-owner setup extend identity: main.ts calls identity.createSetupLink().
  const identity = {
    ...identityCore,
    ...createPasswordSignInService({ db, identity: identityCore }),
    ...createSetupService({ db, clock, config, identity: identityCore }),
  };
  const oauth = createOAuthService({ db, clock, config, tokens });
  const members = createMembersService({ db });
  const mailer = createMailer(config.mail);
  const invitations = createInvitationsService({ db, clock, publicUrl: config.publicUrl, mailer });
  // The pages behind emailed links: opening an invitation, resetting a password.
  const invitationLinks = createInvitationLinksService({ db, clock, identity: identityCore });
  const passwordResets = createPasswordResetService({
    db,
    clock,
    publicUrl: config.publicUrl,
    mailer,
    identity: identityCore,
  });
  const platformKeys = createPlatformKeysService({ db, clock });
  const serviceAccounts = createServiceAccountsService({ db, clock });
  // Trust policies: plain-http loopback issuers only on a dev server (and in tests, which run as dev).
  const allowLoopbackHttp = config.mode === 'dev';
  const issuerKeys = createIssuerKeys({ clock, allowLoopbackHttp });
  const trustPolicies = createTrustPoliciesService({ db, clock, issuerKeys, allowLoopbackHttp });
  const tokenExchange = createTokenExchange({ db, clock, issuerKeys });
  const projects = createProjectsService({ db, clock, lookups });
  const environments = createEnvironmentsService({ db, clock, projects, lookups });
  const manifests = createManifestsService({ db, clock, projects, environments, lookups });
  const removal = createRemovalService({ db, environments });
  const apiKeys = createApiKeysService({
    db,
    verifyPool,
    clock,
    bus,
    lastUsed,
    authenticate: tokens.authenticateFresh,
    resolveOrg: orgs.resolveFresh,
    projects,
    environments,
    manifests,
    cacheEntries: config.verifyCacheEntries,
    outageGraceMs: config.verifyOutageGraceMs,
  });
  // App SDKs: pushed invalidation of their caches, and usage reports (last used).
  const keyEvents = createKeyEventsService({ bus, pool: poolOf(db), projects, environments });
  const usage = createUsageService({ db, clock, lastUsed, projects });
  // `latch logs`: usage events and the environment's audit rows; the usage retention job.
  const logs = createLogsService({ db, clock, projects, environments, retentionMs: config.usageRetentionMs });
  // Reads of sensitive data (names, never values); the read services write to it before answering.
  const accessLog = createAccessLogService({ db, clock });
  const secretsParts = createSecretsParts({ db, clock, config, projects, environments, manifests });
  const audit = createAuditLogService({
    db,
    clock,
    signer: config.auditSigner ?? ephemeralSigner(),
    ...(config.auditCheckpoints ? { policy: config.auditCheckpoints } : {}),
  });
  const effectsParts = createEffectsParts({ db, clock, config, bus, projects });
  return {
    ...effectsParts,
    lookups,
    lastUsed,
    tokens,
    orgs,
    identity,
    sso,
    identityLinks,
    members,
    invitations,
    invitationLinks,
    passwordResets,
    mailer,
    oauth,
    platformKeys,
    serviceAccounts,
    trustPolicies,
    tokenExchange,
    apiKeys,
    projects,
    environments,
    removal,
    manifests,
    keyEvents,
    usage,
    logs,
    audit,
    accessLog,
    ...secretsParts,
  };
}

/**
 * Secrets, releases and environment databases: one keyring (the master key and unwrapped data
 * keys) shared by all three. Environment hooks set up and tear down per-environment databases.
 */
function createSecretsParts({
  db,
  clock,
  config,
  projects,
  environments,
  manifests,
}: Pick<ServiceDeps, 'db' | 'clock' | 'config'> & {
  projects: ReturnType<typeof createProjectsService>;
  environments: ReturnType<typeof createEnvironmentsService>;
  manifests: ReturnType<typeof createManifestsService>;
}) {
  const keyring = createKeyring({ db, masterKey: config.masterKey, keyFile: config.masterKeyFile ?? null });
  const secrets = createSecretsService({ db, clock, projects, environments, keyring });
  const secretsRead = createSecretsReadService({ db, clock, keyring, secrets });
  const secretsCompare = createSecretsCompareService({ db, clock, keyring, secrets });
  const releases = createReleasesService({ db, clock, projects, environments, manifests, secrets, keyring });
  environments.onDeleted(async ({ environmentId }) => keyring.forget(environmentId));
  const appDatabases = config.appDatabaseUrl
    ? createAppDatabasesService({ db, adminUrl: config.appDatabaseUrl, secrets })
    : null;
  if (appDatabases) {
    environments.onCreated((tx, c) => appDatabases.provision(tx, c.actor, c.project, c.environment));
    environments.onDeleted(({ environmentId, name }) => appDatabases.drop(environmentId, name));
  }
  return { keyring, secrets, secretsRead, secretsCompare, releases, appDatabases };
}

export type Services = ReturnType<typeof createServices>;

/**
 * Webhooks and effects: what may be delivered where (production: https and public addresses
 * only), the services, and this node's delivery worker (started by app.ts when configured).
 */
function createEffectsParts({
  db,
  clock,
  config,
  bus,
  projects,
}: Omit<ServiceDeps, 'verifyPool'> & { projects: ReturnType<typeof createProjectsService> }) {
  const production = config.mode === 'production';
  const policy = { requireHttps: production, allowPrivate: !production || !!config.effects?.allowPrivate };
  const webhooks = createWebhooksService({ db, clock, masterKey: config.masterKey, policy });
  const effects = createEffectsService({ db, clock, projects, policy });
  const effectsWorker = createWorker({
    pool: poolOf(db),
    clock,
    bus,
    masterKey: config.masterKey,
    policy,
    ...(config.effects?.concurrency ? { concurrency: config.effects.concurrency } : {}),
    ...(config.effects?.timeoutMs ? { timeoutMs: config.effects.timeoutMs } : {}),
    onEndpointFailing: (id, since) => webhooks.disableFailing(id, since),
  });
  return { webhooks, effects, effectsWorker };
}
