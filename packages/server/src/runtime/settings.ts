import path from 'node:path';
import { DAY, HOUR, parseBoundedDuration, parseDuration, parseRateLimit } from '@latchkey/core';
import type { MailConfig, OidcConfig, RateLimitRule, ServerMode } from '../config.js';
import { readOidcSettings } from './oidc-settings.js';
import { StartupError } from './startup-error.js';

export type RunOptions = { port?: number; host?: string; dataDir?: string };

/** What start-up needs, from command-line options (which win) and the environment. */
export type RuntimeSettings = {
  mode: ServerMode;
  /** 0 picks a free port. */
  port: number;
  host: string;
  dataDir: string;
  /** External PostgreSQL; null runs the embedded one in dataDir. */
  databaseUrl: string | null;
  /** LATCH_PUBLIC_URL; null means http://host:port as actually bound. */
  publicUrl: string | null;
  redisUrl: string | null;
  metricsToken: string | null;
  bodyLimitBytes: number | null;
  /** LATCH_APP_DATABASE_URL: admin URL for per-environment databases (dev: the embedded server's). */
  appDatabaseUrl?: string | null;
  /** LATCH_RATE_LIMIT_PER_ADDRESS / _PER_CREDENTIAL, e.g. `1200/minute`; null keeps the default. */
  rateLimitPerAddress?: RateLimitRule | null;
  rateLimitPerCredential?: RateLimitRule | null;
  /** LATCH_SMTP_URL and LATCH_MAIL_FROM; null sends no mail. */
  mail?: MailConfig | null;
  /** LATCH_OIDC_*: single sign-on and OIDC bearer tokens; null when off. */
  oidc?: OidcConfig | null;
  /** LATCH_AUDIT_CHECKPOINT_ROWS / _MINUTES: when each org's chain head is signed; null keeps the default. */
  auditCheckpointRows?: number | null;
  auditCheckpointMinutes?: number | null;
  /** LATCH_DB_QUERY_TIMEOUT (e.g. `5s`): longest a query may wait for the database (default 5 s). */
  dbQueryTimeoutMs?: number;
  /** LATCH_USAGE_RETENTION: how long usage events are kept (default 30 days). */
  usageRetentionMs?: number | null;
  /** LATCH_VERIFY_OUTAGE_GRACE (e.g. `5m`, `0s` for none): cached verifications during a database outage. */
  verifyOutageGraceMs?: number | null;
};

export const DEFAULT_PORT = 7420;
export const DEFAULT_HOST = '127.0.0.1';

type Env = Record<string, string | undefined>;

export function readSettings(
  mode: ServerMode,
  opts: RunOptions,
  env: Env,
  cwd = process.cwd(),
): RuntimeSettings {
  const value = (name: string) => (env[name]?.trim() ? env[name]!.trim() : null);
  const dataDir = opts.dataDir ?? value('LATCH_DATA_DIR') ?? (mode === 'dev' ? '.latch/dev' : '.latch/data');
  return {
    mode,
    port: parsePort(opts.port ?? value('LATCH_PORT') ?? DEFAULT_PORT),
    host: opts.host ?? value('LATCH_HOST') ?? DEFAULT_HOST,
    dataDir: path.resolve(cwd, dataDir),
    // `latch dev` ignores DATABASE_URL: a developer's shell often sets it for their own app, and
    // Latchkey's tables must not land there. LATCH_DATABASE_URL points either mode elsewhere.
    databaseUrl: value('LATCH_DATABASE_URL')
      ? parseDatabaseUrl(value('LATCH_DATABASE_URL'), 'LATCH_DATABASE_URL')
      : mode === 'dev'
        ? null
        : parseDatabaseUrl(value('DATABASE_URL')),
    publicUrl: parsePublicUrl(value('LATCH_PUBLIC_URL')),
    redisUrl: value('REDIS_URL'),
    metricsToken: value('LATCH_METRICS_TOKEN'),
    bodyLimitBytes: parseBodyLimit(value('LATCH_BODY_LIMIT')),
    appDatabaseUrl: parseDatabaseUrl(value('LATCH_APP_DATABASE_URL'), 'LATCH_APP_DATABASE_URL'),
    rateLimitPerAddress: parseRule(value('LATCH_RATE_LIMIT_PER_ADDRESS'), 'LATCH_RATE_LIMIT_PER_ADDRESS'),
    rateLimitPerCredential: parseRule(
      value('LATCH_RATE_LIMIT_PER_CREDENTIAL'),
      'LATCH_RATE_LIMIT_PER_CREDENTIAL',
    ),
    mail: parseMail(value('LATCH_SMTP_URL'), value('LATCH_MAIL_FROM')),
    oidc: readOidcSettings(env),
    auditCheckpointRows: parseCount(
      value('LATCH_AUDIT_CHECKPOINT_ROWS'),
      'LATCH_AUDIT_CHECKPOINT_ROWS',
      1000,
    ),
    auditCheckpointMinutes: parseCount(
      value('LATCH_AUDIT_CHECKPOINT_MINUTES'),
      'LATCH_AUDIT_CHECKPOINT_MINUTES',
      60,
    ),
    usageRetentionMs: parseRetention(value('LATCH_USAGE_RETENTION')),
    dbQueryTimeoutMs: parseQueryTimeout(value('LATCH_DB_QUERY_TIMEOUT')),
    verifyOutageGraceMs: parseOutageGrace(value('LATCH_VERIFY_OUTAGE_GRACE')),
  };
}

function parseRetention(text: string | null): number | null {
  if (text === null) return null;
  const parsed = parseBoundedDuration(text, { min: HOUR, max: 3650 * DAY });
  if (!parsed.ok) throw new StartupError(`LATCH_USAGE_RETENTION ${parsed.error} (e.g. 30d, 72h).`);
  return parsed.ms;
}

function parseOutageGrace(raw: string | null): number | null {
  if (raw === null) return null;
  const ms = parseDuration(raw);
  if (ms === null || ms < 0 || ms > DAY) {
    throw new StartupError(
      `LATCH_VERIFY_OUTAGE_GRACE is a duration from 0s to 1d, e.g. 5m (got "${raw}"). The default is 5m.`,
    );
  }
  return ms;
}

export const DEFAULT_DB_QUERY_TIMEOUT_MS = 5000;

function parseQueryTimeout(raw: string | null): number {
  if (raw === null) return DEFAULT_DB_QUERY_TIMEOUT_MS;
  const ms = parseDuration(raw);
  if (ms === null || ms < 100 || ms > 600_000) {
    throw new StartupError(
      `LATCH_DB_QUERY_TIMEOUT is a duration from 100ms to 10m, e.g. 5s (got "${raw}"). The default is 5s.`,
    );
  }
  return ms;
}

function parseMail(smtpUrl: string | null, from: string | null): MailConfig | null {
  if (smtpUrl === null) {
    if (from !== null) {
      throw new StartupError(
        'LATCH_MAIL_FROM is set but LATCH_SMTP_URL is not. Set both to send mail, or neither.',
      );
    }
    return null;
  }
  let url: URL | null = null;
  try {
    url = new URL(smtpUrl);
  } catch {}
  // The value is not echoed: it may hold the SMTP password.
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname) {
    throw new StartupError(
      'LATCH_SMTP_URL must be smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465.',
    );
  }
  if (from === null || !/^[^\s@<>]+@[^\s@<>]+$|<[^\s@<>]+@[^\s@<>]+>$/.test(from)) {
    throw new StartupError(
      'LATCH_MAIL_FROM must be the sender address, e.g. latch@example.com or "Latchkey <latch@example.com>".',
    );
  }
  return { smtpUrl, from };
}

function parseRule(raw: string | null, variable: string): RateLimitRule | null {
  if (raw === null) return null;
  const rate = parseRateLimit(raw);
  if (!rate) {
    throw new StartupError(
      `${variable} is <count>/<second|minute|hour|day>, e.g. 1200/minute (got "${raw}"). The default is 1200/minute.`,
    );
  }
  return { points: rate.limit, durationSeconds: rate.windowMs / 1000 };
}

function parseCount(raw: string | null, variable: string, fallback: number): number | null {
  if (raw === null) return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new StartupError(
      `${variable} is a whole number, at least 1 (got "${raw}"). The default is ${fallback}.`,
    );
  }
  return n;
}

function parsePort(raw: number | string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartupError(
      `The port must be a whole number from 0 to 65535 (got "${raw}"). 0 picks a free one.`,
    );
  }
  return port;
}

function parseDatabaseUrl(raw: string | null, variable = 'DATABASE_URL'): string | null {
  if (raw === null) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The value is not echoed: it may hold a password.
    throw new StartupError(
      `${variable} is not a valid URL. Expected postgres://user:password@host:5432/database.`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new StartupError(`${variable} must start with postgres:// (got ${url.protocol}//).`);
  }
  return raw;
}

function parsePublicUrl(raw: string | null): string | null {
  if (raw === null) return null;
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw.replace(/\/+$/, '');
  } catch {}
  throw new StartupError(
    `LATCH_PUBLIC_URL must be an http:// or https:// URL, e.g. https://latch.example.com (got "${raw}").`,
  );
}

function parseBodyLimit(raw: string | null): number | null {
  if (raw === null) return null;
  const bytes = Number(raw);
  if (!Number.isInteger(bytes) || bytes < 1024) {
    throw new StartupError(
      `LATCH_BODY_LIMIT is a size in bytes, at least 1024 (got "${raw}"). The default is 1048576 (1 MiB).`,
    );
  }
  return bytes;
}

/** The URL people use to reach a server bound to host:port (a wildcard bind is reached on loopback). */
export function localUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
