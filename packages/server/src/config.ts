import type { CheckpointPolicy } from './services/audit/checkpoints.js';
import type { AuditSigner } from './services/audit/signing.js';

export type ServerMode = 'dev' | 'production';

export type RateLimitRule = { points: number; durationSeconds: number };

/** Outgoing mail (LATCH_SMTP_URL, LATCH_MAIL_FROM): invitation and password-reset links. */
export type MailConfig = {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465. */
  smtpUrl: string;
  /** The From header, e.g. `Latchkey <latch@example.com>`. */
  from: string;
};

/** Single sign-on with an upstream OpenID Connect provider (LATCH_OIDC_*). */
export type OidcConfig = {
  /** The provider's issuer URL, exactly as its discovery document names it. */
  issuer: string;
  clientId: string;
  /** Null: a public client (PKCE only, no client authentication). */
  clientSecret: string | null;
  /** LATCH_OIDC_ALLOW_SIGNUP: a first SSO sign-in may create the account. */
  allowSignup: boolean;
  /** LATCH_OIDC_ALLOWED_DOMAINS: sign-up only for these email domains; null allows any. */
  allowedDomains: string[] | null;
  /** The `aud` an OIDC bearer JWT must carry: LATCH_OIDC_AUDIENCE, else the client id. */
  audience: string;
};

export type EffectsConfig = {
  /** Run the delivery worker in this process (the server does; test apps drive it by hand). */
  worker?: boolean;
  concurrency?: number;
  /** Per attempt (default 15 s); the lease is 5 s longer. */
  timeoutMs?: number;
  /** LATCH_WEBHOOKS_ALLOW_PRIVATE: production may deliver to private and loopback addresses. */
  allowPrivate?: boolean;
};

export type ServerConfig = {
  mode: ServerMode;
  /** Where browsers and CLIs reach this server, e.g. http://127.0.0.1:7420 (no trailing slash). */
  publicUrl: string;
  /** 32-byte key-encryption key (LATCH_MASTER_KEY). Required in production. */
  masterKey: Buffer | null;
  /** Dev: the file the master key came from, read again after `latch server rotate-master-key`. */
  masterKeyFile?: string | null;
  /**
   * Ed25519 key that signs audit checkpoints (LATCH_AUDIT_SIGNING_KEY; dev: audit-signing.key in
   * the data folder). Absent (tests, benchmarks): a key made for this process only.
   */
  auditSigner?: AuditSigner | null;
  /** When the periodic trigger signs each chain's head (default every 1000 rows or 60 minutes). */
  auditCheckpoints?: CheckpointPolicy;
  /** LATCH_APP_DATABASE_URL: a PostgreSQL admin URL; each environment then gets its own database. */
  appDatabaseUrl?: string | null;
  bodyLimitBytes: number;
  /** Secure cookies need https; derived from publicUrl. */
  secureCookies: boolean;
  /** REDIS_URL: rate limits shared by every node; null keeps them in this node's memory. */
  redisUrl: string | null;
  /** Prefix of the limit keys in Redis (default `latch:rl:`); tests give each app its own. */
  redisKeyPrefix?: string;
  metricsToken: string | null;
  /** Null or absent: no mail; invitation and reset links are shown to whoever makes them instead. */
  mail?: MailConfig | null;
  /** How long usage events are kept (LATCH_USAGE_RETENTION; default 30 days). */
  usageRetentionMs?: number;
  /** API-key verification cache size (default 100k entries); 0 turns it off. */
  verifyCacheEntries?: number;
  /** LATCH_VERIFY_OUTAGE_GRACE: how long cached verifications serve during a database outage (default 5 min). */
  verifyOutageGraceMs?: number;
  /** Upstream OIDC provider for SSO and OIDC bearer tokens; null/absent turns both off. */
  oidc?: OidcConfig | null;
  /** Background deliveries (webhooks, app effects). */
  effects?: EffectsConfig;
  rateLimits: {
    /** Every request, per IP. */
    perIp: RateLimitRule;
    /** Every authenticated request, per credential. */
    perCredential: RateLimitRule;
    /** Sign-in attempts per IP and per email. */
    signIn: RateLimitRule;
    /** Wrong device user-code entries per IP. */
    deviceCodeEntry: RateLimitRule;
    /** /oauth/token and /oauth/device/code per IP. */
    tokenEndpoint: RateLimitRule;
  };
};

export const DEFAULT_RATE_LIMITS: ServerConfig['rateLimits'] = {
  perIp: { points: 1200, durationSeconds: 60 },
  perCredential: { points: 1200, durationSeconds: 60 },
  signIn: { points: 10, durationSeconds: 60 },
  deviceCodeEntry: { points: 10, durationSeconds: 300 },
  // Device polling every 5 s is 12/min per login; allow a few concurrent logins per IP.
  tokenEndpoint: { points: 60, durationSeconds: 60 },
};

export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const publicUrl = (overrides.publicUrl ?? 'http://127.0.0.1:7420').replace(/\/+$/, '');
  return {
    mode: 'dev',
    masterKey: null,
    bodyLimitBytes: 1024 * 1024,
    secureCookies: publicUrl.startsWith('https://'),
    redisUrl: null,
    metricsToken: null,
    rateLimits: DEFAULT_RATE_LIMITS,
    ...overrides,
    publicUrl,
  };
}
