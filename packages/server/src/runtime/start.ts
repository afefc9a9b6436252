import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type App, buildApp } from '../app.js';
import { DEFAULT_RATE_LIMITS, defaultConfig, type EffectsConfig } from '../config.js';
import { chainUnchainedRows } from '../services/audit/chain-backfill.js';
import { DEFAULT_CHECKPOINT_POLICY } from '../services/audit/checkpoints.js';
import { masterKeyId } from '../services/secrets/crypto.js';
import { verifyMasterKey } from '../services/secrets/master-key.js';
import { openDatabase } from '../store/db.js';
import { startEmbeddedPostgres } from '../store/embedded.js';
import type { PostgresExit } from '../store/embedded-process.js';
import { migrate } from '../store/migrate.js';
import { auditSignerFromEnv, devAuditSigner } from './audit-signing-key.js';
import { findFreePort, probePort } from './free-port.js';
import { type DataDirLock, lockDataDir } from './lock-file.js';
import { loggerOptions } from './logger.js';
import { devMasterKey, masterKeyFromEnv } from './master-key.js';
import { Resources } from './resources.js';
import { DEFAULT_DB_QUERY_TIMEOUT_MS, localUrl, type RuntimeSettings } from './settings.js';
import {
  databaseStartupError,
  describeDatabaseTarget,
  listenStartupError,
  StartupError,
} from './startup-error.js';

export type RunningLatchkey = {
  app: App;
  /** The public URL (LATCH_PUBLIC_URL, or where this process listens). */
  url: string;
  /** Where this process actually listens. */
  listenUrl: string;
  /** For the banner, e.g. "embedded PostgreSQL in /x/.latch/dev/pg". */
  databaseLabel: string;
  /** Production on an empty database: the one-time link that creates the first owner. */
  setupLink: string | null;
  /** Settles if the embedded PostgreSQL exits; null with an external database. */
  embeddedExit: Promise<PostgresExit> | null;
  /** Stops everything that start acquired, in reverse order. */
  close(): Promise<void>;
};

type Env = Record<string, string | undefined>;

// Long-lived requests (log tails) would hold app.close() open forever; after this they are cut.
const REQUEST_DRAIN_MS = 10_000;

/**
 * Starts a Latchkey server: data folder and lock, database (external or embedded), migrations,
 * app, listen. Everything acquired is registered in `resources`, so a failure or a signal at any
 * point releases exactly what exists.
 */
export async function startLatchkey(
  settings: RuntimeSettings,
  opts: { env?: Env; resources?: Resources; log?: (line: string) => void; signal?: AbortSignal } = {},
): Promise<RunningLatchkey> {
  const env = opts.env ?? process.env;
  const resources = opts.resources ?? new Resources();
  // Start-up stops between steps, never inside one: an initdb cut short leaves a folder that
  // cannot be used or initialised again without manual cleanup.
  const step = () => opts.signal?.throwIfAborted();
  try {
    return await start(settings, env, resources, step, opts.log);
  } catch (err) {
    await resources.releaseAll();
    throw err;
  }
}

async function start(
  settings: RuntimeSettings,
  env: Env,
  resources: Resources,
  step: () => void,
  pgLog?: (line: string) => void,
) {
  const { mode, dataDir, host } = settings;
  // Checked first: a production start without its key must not touch anything.
  const envKey = mode === 'production' ? masterKeyFromEnv(env.LATCH_MASTER_KEY) : null;
  const envSigner = mode === 'production' ? auditSignerFromEnv(env.LATCH_AUDIT_SIGNING_KEY) : null;
  const embedded = settings.databaseUrl === null;

  let lock: DataDirLock | null = null;
  if (mode === 'dev' || embedded) {
    await mkdir(dataDir, { recursive: true });
    await chmod(dataDir, process.getuid?.() === 0 && embedded ? 0o711 : 0o700);
    lock = await lockDataDir(dataDir, mode === 'dev' ? 'Latchkey dev server' : 'Latchkey server');
    resources.add('lock file', lock.release);
  }
  step();
  const masterKey = envKey ?? (await devMasterKey(dataDir));
  const masterKeyFile = envKey ? null : path.join(dataDir, 'master.key');
  const auditSigner = envSigner ?? (await devAuditSigner(dataDir));
  if (settings.port !== 0) {
    await probePort(host, settings.port).catch((err) => {
      throw listenStartupError(err, host, settings.port) ?? err;
    });
  }

  let databaseUrl = settings.databaseUrl;
  let embeddedExit: Promise<PostgresExit> | null = null;
  let embeddedAdminUrl: string | null = null;
  let databaseLabel = `PostgreSQL at ${describeDatabaseTarget(databaseUrl ?? '')}`;
  if (databaseUrl === null) {
    // The lock is ours, so a PostgreSQL still running on this folder is a crashed run's leftover.
    const pg = await startEmbeddedPostgres({ dataDir, log: pgLog, takeOverStray: true }).catch(
      (err: Error) => {
        throw new StartupError(err.message);
      },
    );
    resources.add('embedded PostgreSQL', pg.stop);
    step();
    databaseUrl = pg.url;
    embeddedAdminUrl = pg.adminUrl;
    embeddedExit = pg.exited;
    databaseLabel = `embedded PostgreSQL in ${dataDir}/pg`;
  }

  const source = settings.databaseUrl ? 'DATABASE_URL' : 'the embedded PostgreSQL';
  // Start-up work may wait long (another node holding the migration lock, a first backfill): it
  // gets its own pool without the query timeout that bounds every request's queries.
  const setup = openDatabase(databaseUrl, { max: 2 });
  try {
    // Under an advisory lock: several nodes starting together apply each migration once.
    await migrate(setup.pool).catch((err) => {
      throw databaseStartupError(err, databaseUrl, source);
    });
    // A wrong key would turn every secret read into an integrity error: refuse to start instead.
    if ((await verifyMasterKey(setup.db, masterKey)) === 'mismatch') {
      throw wrongMasterKey(masterKey, masterKeyFile);
    }
    // Rows written before the audit log was a hash chain get their place in it (first start only).
    await chainUnchainedRows(setup.pool);
  } finally {
    await setup.close();
  }
  step();
  const database = openDatabase(databaseUrl, {
    queryTimeoutMs: settings.dbQueryTimeoutMs ?? DEFAULT_DB_QUERY_TIMEOUT_MS,
  });
  resources.add('database pool', database.close);

  // Port 0 is resolved now rather than by listen(): the public URL must be known to build the app.
  const port = settings.port === 0 ? await findFreePort(host) : settings.port;
  const url = settings.publicUrl ?? localUrl(host, port);
  const config = defaultConfig({
    mode,
    publicUrl: url,
    masterKey,
    masterKeyFile,
    auditSigner,
    auditCheckpoints: {
      ...DEFAULT_CHECKPOINT_POLICY,
      ...(settings.auditCheckpointRows ? { everyRows: settings.auditCheckpointRows } : {}),
      ...(settings.auditCheckpointMinutes ? { everyMinutes: settings.auditCheckpointMinutes } : {}),
    },
    appDatabaseUrl: settings.appDatabaseUrl ?? (mode === 'dev' ? embeddedAdminUrl : null),
    redisUrl: settings.redisUrl,
    metricsToken: settings.metricsToken,
    ...(settings.usageRetentionMs ? { usageRetentionMs: settings.usageRetentionMs } : {}),
    ...(settings.verifyOutageGraceMs != null ? { verifyOutageGraceMs: settings.verifyOutageGraceMs } : {}),
    mail: settings.mail ?? null,
    oidc: settings.oidc ?? null,
    ...(settings.bodyLimitBytes ? { bodyLimitBytes: settings.bodyLimitBytes } : {}),
    effects: effectsSettings(env),
    rateLimits: {
      ...DEFAULT_RATE_LIMITS,
      ...(settings.rateLimitPerAddress ? { perIp: settings.rateLimitPerAddress } : {}),
      ...(settings.rateLimitPerCredential ? { perCredential: settings.rateLimitPerCredential } : {}),
    },
  });
  const app = await buildApp({
    database,
    config,
    logger: loggerOptions(mode, env.LATCH_LOG_LEVEL || 'info'),
    processMetrics: true,
  });
  // Unwrapped data keys in memory let this process keep serving through a master-key rotation.
  await app.services.keyring.warm();
  resources.add('HTTP server', async () => {
    // Fastify drops idle keep-alive connections once, when close() starts; a connection whose
    // request finishes later would otherwise hold the shutdown until the client lets go.
    const idle = setInterval(() => app.server.closeIdleConnections(), 100);
    const cut = setTimeout(() => app.server.closeAllConnections(), REQUEST_DRAIN_MS);
    try {
      await app.close();
    } finally {
      clearInterval(idle);
      clearTimeout(cut);
    }
  });
  step();
  await app.listen({ port, host }).catch((err) => {
    throw listenStartupError(err, host, port) ?? err;
  });
  const listenUrl = localUrl(host, port);
  await lock?.setUrl(listenUrl);

  const setupLink = mode === 'production' ? await createSetupLink(app) : null;
  return { app, url, listenUrl, databaseLabel, setupLink, embeddedExit, close: () => resources.releaseAll() };
}

function wrongMasterKey(key: Buffer, keyFile: string | null): StartupError {
  const which = keyFile ? `The master key in ${keyFile}` : 'LATCH_MASTER_KEY';
  const fix = keyFile
    ? `Restore that file from a backup (a new one cannot open the secrets already stored).`
    : 'Start with the key the secrets were stored under; after `latch server rotate-master-key`, that is the new key.';
  return new StartupError(
    `${which} (key id ${masterKeyId(key)}) is not the master key this database's secrets are encrypted with. ` +
      `Refusing to start rather than fail on every secret. ${fix}`,
  );
}

type SetupCapable = { createSetupLink?: () => Promise<string | null> };

/**
 * The identity/setup service stores a one-time token (its hash) and returns the link while the
 * server has no users, null afterwards. Looked up loosely so main does not dictate where the lead
 * wires it: `app.services.setup` or `app.services.identity`.
 */
async function createSetupLink(app: App): Promise<string | null> {
  const services = app.services as unknown as Record<string, SetupCapable | undefined>;
  const owner = [services.setup, services.identity].find((s) => typeof s?.createSetupLink === 'function');
  if (owner?.createSetupLink) return owner.createSetupLink();
  app.log.warn('no setup service wired: cannot print a setup link for the first owner');
  return null;
}

/** The delivery worker runs in every server process; several on one database share the queue. */
function effectsSettings(env: Env): EffectsConfig {
  const timeout = Number(env.LATCH_EFFECTS_TIMEOUT_SECONDS);
  const concurrency = Number(env.LATCH_EFFECTS_CONCURRENCY);
  return {
    worker: env.LATCH_EFFECTS_WORKER !== '0',
    allowPrivate: ['1', 'true', 'yes'].includes((env.LATCH_WEBHOOKS_ALLOW_PRIVATE ?? '').toLowerCase()),
    ...(timeout > 0 && timeout <= 15 ? { timeoutMs: timeout * 1000 } : {}),
    ...(Number.isInteger(concurrency) && concurrency > 0 ? { concurrency } : {}),
  };
}
