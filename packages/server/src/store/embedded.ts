import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { findFreePort } from '../runtime/free-port.js';
import {
  blockedAncestor,
  postgresBinDir,
  postgresUser,
  runInitdb,
  type SystemUser,
} from './embedded-binaries.js';
import {
  isPostmasterOf,
  type PostgresExit,
  PostgresStartError,
  spawnPostgres,
  stopStrayPostgres,
} from './embedded-process.js';

export type EmbeddedPostgresOptions = {
  /** Latchkey's data folder; PostgreSQL's own files go into `<dataDir>/pg`. */
  dataDir: string;
  /** Receives every line initdb and postgres print. Quiet by default. */
  log?: (line: string) => void;
  /** Created when missing. */
  database?: string;
  /** Extra `-c name=value` settings, e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string>;
  /**
   * The caller holds the data folder's lock, so a postgres still running on it was left behind by a
   * crashed run (nothing else may use it): stop that one and start ours.
   */
  takeOverStray?: boolean;
};

export type EmbeddedPostgres = {
  /** Connection URL of `database`. */
  url: string;
  /** Connection URL of the `postgres` maintenance database (for CREATE/DROP DATABASE). */
  adminUrl: string;
  port: number;
  /** Settles when postgres exits, also unexpectedly. */
  exited: Promise<PostgresExit>;
  stop(): Promise<void>;
};

const SETTINGS: Record<string, string> = {
  // TCP on loopback only, and no Unix socket: a socket in /var/run/postgresql or /tmp could clash
  // with the machine's own PostgreSQL and is not needed.
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  max_connections: '200',
  fsync: 'on',
  lc_messages: 'C',
};

const INITDB_FLAGS = [
  '--encoding=UTF8',
  // C collation (fast, the same everywhere) with full Unicode case mapping for lower() on emails and names.
  '--locale=C',
  '--locale-provider=builtin',
  '--builtin-locale=C.UTF-8',
];

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const pgDir = path.join(dataDir, 'pg');
  const passwordFile = path.join(dataDir, 'pg-password');
  const log = opts.log ?? (() => {});
  const database = opts.database ?? 'latch';
  const asRoot = process.getuid?.() === 0;

  await mkdir(dataDir, { recursive: true });
  // As root, postgres runs as the `postgres` user and must pass through this folder (0711: enter,
  // not list). The folder also holds master.key and pg-password, which stay 0600.
  await chmod(dataDir, asRoot ? 0o711 : 0o700);
  const user = asRoot ? await postgresUser() : undefined;
  if (user) await assertReachable(dataDir, user);
  const binDir = await postgresBinDir(user);

  const password = existsSync(path.join(pgDir, 'PG_VERSION'))
    ? await readPassword(passwordFile, pgDir)
    : await initialise({ pgDir, passwordFile, binDir, user, log });

  const binary = path.join(binDir, 'postgres');
  const settings = { ...SETTINGS, ...opts.settings };
  let tookOver = false;
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      const proc = await spawnPostgres({ binary, pgDir, port, settings, user, log, timeoutMs: 60_000 });
      const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
      try {
        await ensureDatabase(`${base}/postgres`, database);
      } catch (err) {
        await proc.stop();
        throw err;
      }
      return {
        url: `${base}/${database}`,
        adminUrl: `${base}/postgres`,
        port,
        exited: proc.exited,
        stop: proc.stop,
      };
    } catch (err) {
      if (!(err instanceof PostgresStartError)) throw err;
      // Someone took the port between findFreePort() and postgres binding it.
      if (err.reason === 'port-in-use' && attempt < 4) continue;
      if (err.reason === 'already-running' && err.otherPid && opts.takeOverStray && !tookOver) {
        if (await isPostmasterOf(err.otherPid, pgDir)) {
          log(`stopping PostgreSQL left running by a previous run (pid ${err.otherPid})`);
          tookOver = await stopStrayPostgres(err.otherPid);
          if (tookOver) continue;
        }
      }
      throw new Error(explain(err, dataDir, pgDir), { cause: err });
    }
  }
}

async function initialise(o: {
  pgDir: string;
  passwordFile: string;
  binDir: string;
  user: SystemUser | undefined;
  log: (l: string) => void;
}) {
  const leftovers = await readdir(o.pgDir).catch(() => []);
  if (leftovers.length > 0) {
    throw new Error(
      `${o.pgDir} exists but holds no PostgreSQL data (no PG_VERSION), probably from an interrupted first start. ` +
        `Remove it (rm -rf ${o.pgDir}) and start again.`,
    );
  }
  // Written before initdb: a cluster whose password was lost would be unusable.
  const password = randomBytes(24).toString('base64url');
  await writeFile(o.passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    await runInitdb({
      binDir: o.binDir,
      pgDir: o.pgDir,
      password,
      flags: INITDB_FLAGS,
      user: o.user,
      log: o.log,
    });
  } catch (err) {
    await rm(o.passwordFile, { force: true });
    await rm(o.pgDir, { recursive: true, force: true });
    throw new Error(`Could not create a PostgreSQL cluster in ${o.pgDir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return password;
}

async function readPassword(passwordFile: string, pgDir: string): Promise<string> {
  try {
    return (await readFile(passwordFile, 'utf8')).trim();
  } catch {
    throw new Error(
      `${passwordFile} is missing, so the PostgreSQL data in ${pgDir} cannot be opened. ` +
        'Restore that file, or move the folder away to start with an empty database.',
    );
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/** initdb and postgres fail with obscure messages when they cannot reach their folder; say it plainly. */
async function assertReachable(dataDir: string, user: SystemUser): Promise<void> {
  const dir = await blockedAncestor(dataDir, user);
  if (dir) {
    const mode = ((await stat(dir)).mode & 0o777).toString(8);
    throw new Error(
      `PostgreSQL runs as the system user "postgres", which cannot enter ${dir} (mode ${mode}). ` +
        `Use a data folder it can reach (--data-dir), or let it through: chmod o+x ${dir}`,
    );
  }
}

function explain(err: PostgresStartError, dataDir: string, pgDir: string): string {
  if (err.reason === 'already-running') {
    const pid = err.otherPid ? ` (pid ${err.otherPid})` : '';
    return (
      `PostgreSQL is already running on ${pgDir}${pid}. Is another Latchkey using ${dataDir}? ` +
      `Stop it first, or use another data folder.` +
      (err.otherPid
        ? ` If no Latchkey is running, stop the leftover PostgreSQL with: kill -INT ${err.otherPid}`
        : '')
    );
  }
  const output = err.output.length ? `\n  ${err.output.slice(-10).join('\n  ')}` : '';
  return `${err.message.split('\n')[0]} PostgreSQL data: ${pgDir}.${output}`;
}
