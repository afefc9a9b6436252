import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded.js';
import { migrate, migrationsDir } from './migrate.js';

export type TestPostgres = {
  /** A superuser connection to a maintenance database, used to create and drop test databases. */
  adminUrl: string;
  stop(): Promise<void>;
};

/**
 * One PostgreSQL server for a whole test run: the one named by LATCH_TEST_DATABASE_URL, or an
 * embedded one in a temporary folder that is removed afterwards.
 */
export async function startTestPostgres(env = process.env): Promise<TestPostgres> {
  const external = env.LATCH_TEST_DATABASE_URL;
  if (external) {
    await assertReachable(external);
    await dropAbandonedDatabases(external);
    return { adminUrl: external, stop: async () => {} };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'latch-test-'));
  try {
    // mkdtemp makes 0700; as root, postgres runs as its own user and has to enter the folder.
    if (process.getuid?.() === 0) await chmod(dir, 0o711);
    // Throwaway data: durability settings off make each CREATE DATABASE and commit much cheaper.
    const server = await startEmbeddedPostgres({
      dataDir: dir,
      database: 'postgres',
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    return {
      adminUrl: server.adminUrl,
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export type TestDatabase = { url: string; name: string; drop(): Promise<void> };

// Serialises template building across vitest workers (and across concurrent runs on a shared server).
const TEMPLATE_LOCK = 7_420_100;

/**
 * A fresh database for one test file. Migrating takes far longer than copying, so the migrated
 * schema is kept as a template named after the migrations' contents and copied with
 * CREATE DATABASE … TEMPLATE. `empty: true` gives a database without any migration applied.
 */
export async function createTestDatabase(
  adminUrl: string,
  opts: { empty?: boolean } = {},
): Promise<TestDatabase> {
  // The creation time in the name lets a later run recognise databases a crashed run left behind.
  const name = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    if (opts.empty) {
      await admin.query(`CREATE DATABASE ${name}`);
    } else {
      const template = await ensureTemplate(admin, adminUrl);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    }
  } finally {
    await admin.end();
  }
  return { url: withDatabase(adminUrl, name), name, drop: () => dropDatabase(adminUrl, name) };
}

async function ensureTemplate(admin: pg.Client, adminUrl: string): Promise<string> {
  const template = `latch_template_${await migrationsHash()}`;
  const isReady = async () =>
    (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [template]))
      .rowCount === 1;
  if (await isReady()) return template;
  await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
  try {
    if (await isReady()) return template;
    // Not marked as a template yet means a build died halfway: start over.
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${template}`);
    const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, template), max: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    // The flag doubles as "build finished": only complete templates are ever copied.
    await admin.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true`);
    await dropStaleTemplates(admin, template);
    return template;
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
  }
}

/** Templates of older migration sets only take space on a long-lived shared server. */
async function dropStaleTemplates(admin: pg.Client, keep: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'latch\\_template\\_%' AND datname <> $1",
    [keep],
  );
  for (const { datname } of rows) {
    const id = admin.escapeIdentifier(datname);
    await admin.query(`ALTER DATABASE ${id} WITH IS_TEMPLATE false`).catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${id}`).catch(() => {});
  }
}

const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/**
 * On a long-lived shared server, databases of runs that crashed (or files that never dropped
 * theirs) pile up. Nothing runs for an hour, so older test databases are abandoned.
 */
async function dropAbandonedDatabases(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname ~ '^test_[0-9a-z]+_[0-9a-f]{8}$'",
    );
    for (const { datname } of rows) {
      const created = Number.parseInt(datname.split('_')[1] ?? '', 36);
      if (Date.now() - created < ABANDONED_AFTER_MS) continue;
      await admin
        .query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)} WITH (FORCE)`)
        .catch(() => {});
    }
  } finally {
    await admin.end();
  }
}

async function migrationsHash(): Promise<string> {
  const dir = migrationsDir();
  const hash = createHash('sha256');
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()) {
    hash
      .update(file)
      .update('\0')
      .update(await readFile(path.join(dir, file)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // FORCE: a pool a test forgot to close must not keep its database alive.
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function assertReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const u = new URL(url);
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(
      `LATCH_TEST_DATABASE_URL points at ${u.hostname}:${u.port || 5432}, which cannot be used (${reason}). ` +
        'Start that PostgreSQL, or unset LATCH_TEST_DATABASE_URL to run the tests on an embedded one.',
    );
  } finally {
    await client.end().catch(() => {});
  }
}
