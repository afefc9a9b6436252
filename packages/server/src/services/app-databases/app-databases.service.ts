import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@latchkey/core';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import type { Db, Tx } from '../../store/db.js';
import { environmentDatabases } from '../../store/schema.js';
import type { Actor } from '../actor.js';
import type { EnvironmentRow } from '../projects/environments.service.js';
import type { ProjectRow } from '../projects/projects.service.js';
import type { SecretsService } from '../secrets/secrets.service.js';
import { placeOf } from '../secrets/shared.js';
import { ensureClusterIsolation } from './isolation.js';
import { scramVerifier } from './scram.js';

export const DATABASE_URL = 'DATABASE_URL';

export type AppDatabasesService = ReturnType<typeof createAppDatabasesService>;

/** Names derived from the environment id: stable, lowercase, and free of any user input. */
export function databaseNames(environmentId: string) {
  const tag = createHash('sha256').update(environmentId).digest('hex').slice(0, 16);
  return { database: `latch_app_${tag}`, role: `latch_app_${tag}` };
}

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  url.search = '';
  return url.toString();
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

function unavailable(action: string, err: unknown): AppError {
  const e = err as { code?: string; message?: string };
  // PostgreSQL's message names objects, never the password (only its verifier is ever sent).
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `Could not ${action}: ${e.code ?? ''} ${e.message ?? String(err)}`.trim(),
    {
      hint: 'Check that LATCH_APP_DATABASE_URL points at a reachable PostgreSQL with a role that may create databases and roles.',
      cause: err,
    },
  );
}

/**
 * Per-environment databases (LATCH_APP_DATABASE_URL): each environment gets its own database and
 * login role; the database is closed to PUBLIC, so one environment's role cannot connect to
 * another's database. The connection string becomes the managed DATABASE_URL secret.
 */
export function createAppDatabasesService({
  db,
  adminUrl,
  secrets,
}: {
  db: Db;
  adminUrl: string;
  secrets: Pick<SecretsService, 'writeManaged'>;
}) {
  return {
    /** At start-up, before anything is provisioned: see isolation.ts. Throws when it cannot be ensured. */
    ensureIsolation: () => ensureClusterIsolation(db, adminUrl),

    /** Runs in the environment's creating transaction; undoes what it made if anything fails. */
    async provision(tx: Tx, actor: Actor, project: ProjectRow, env: EnvironmentRow): Promise<void> {
      const { database, role } = databaseNames(env.id);
      const password = randomBytes(24).toString('base64url');
      const made = { role: false, database: false };
      try {
        await withAdmin(adminUrl, async (admin) => {
          const r = admin.escapeIdentifier(role);
          const d = admin.escapeIdentifier(database);
          await admin.query(
            `CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE CONNECTION LIMIT 100 PASSWORD ${admin.escapeLiteral(scramVerifier(password))}`,
          );
          made.role = true;
          await admin.query(`CREATE DATABASE ${d} OWNER ${r}`);
          made.database = true;
          // CONNECT is granted to PUBLIC by default: that is what would let environments meet.
          await admin.query(`REVOKE ALL ON DATABASE ${d} FROM PUBLIC`);
        });
        // The role owns its schema whatever template1 looks like (older servers let PUBLIC create there).
        await withAdmin(databaseUrl(adminUrl, database), async (admin) => {
          await admin.query(`ALTER SCHEMA public OWNER TO ${admin.escapeIdentifier(role)}`);
          await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
        });
        await tx
          .insert(environmentDatabases)
          .values({ environmentId: env.id, orgId: env.orgId, databaseName: database, roleName: role });
        const url = new URL(databaseUrl(adminUrl, database));
        url.username = role;
        url.password = password;
        await secrets.writeManaged(tx, actor, placeOf(project, env), DATABASE_URL, url.toString());
      } catch (err) {
        if (made.role) await dropObjects(adminUrl, made.database ? database : null, role).catch(() => {});
        throw err instanceof AppError
          ? err
          : unavailable(`create the database of environment ${env.name}`, err);
      }
    },

    /** After the environment is deleted: drops its database (closing its connections) and role. */
    async drop(environmentId: string, name: string): Promise<void> {
      const [row] = await db
        .select()
        .from(environmentDatabases)
        .where(eq(environmentDatabases.environmentId, environmentId));
      if (!row) return;
      try {
        await dropObjects(adminUrl, row.databaseName, row.roleName);
      } catch (err) {
        throw unavailable(`drop the database of deleted environment ${name} (${row.databaseName})`, err);
      }
      await db.delete(environmentDatabases).where(eq(environmentDatabases.environmentId, environmentId));
    },
  };
}

async function dropObjects(adminUrl: string, database: string | null, role: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    if (database)
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(database)} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(role)}`);
  });
}
