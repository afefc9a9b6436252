import { AppError } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Db } from '../../store/db.js';

/** The maintenance databases every cluster has; template0 accepts no connections at all. */
const MAINTENANCE = ['postgres', 'template1'];

type Who = { role: string; database: string };

async function closeTo(
  run: (text: string) => Promise<unknown>,
  q: pg.Client,
  database: string,
  roles: string[],
) {
  const d = q.escapeIdentifier(database);
  // Grant first: revoking PUBLIC must never lock Latchkey's own roles out.
  await run(`GRANT CONNECT ON DATABASE ${d} TO ${roles.map((r) => q.escapeIdentifier(r)).join(', ')}`);
  await run(`REVOKE CONNECT, TEMPORARY ON DATABASE ${d} FROM PUBLIC`);
}

/**
 * Environment roles live in the cluster of LATCH_APP_DATABASE_URL. CONNECT is granted to PUBLIC by
 * default, so without this an environment's DATABASE_URL opens a session in Latchkey's own
 * database (when it shares the cluster) and in the maintenance databases. Tables there are not
 * readable, but LISTEN/NOTIFY is per database and needs nothing but a session: the role could read
 * every org's key events and forge SDK invalidations. So the platform database (if it is in that
 * cluster), the admin URL's database, `postgres` and `template1` are closed to PUBLIC and opened
 * to Latchkey's two roles only. Where that cannot be done (the admin role neither owns them nor
 * is a superuser, and nobody closed them beforehand), app databases refuse to run.
 */
export async function ensureClusterIsolation(db: Db, adminUrl: string): Promise<void> {
  const [platform] = (await db.execute(sql`SELECT current_user AS role, current_database() AS database`))
    .rows as Who[];
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    const me = (await admin.query<Who>('SELECT current_user AS role, current_database() AS database'))
      .rows[0]!;
    const roles = (
      await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [
        [me.role, platform!.role],
      ])
    ).rows.map((r) => r.rolname);
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datallowconn AND datname = ANY($1)',
      [[...new Set([platform!.database, me.database, ...MAINTENANCE])]],
    );
    const targets = rows.map((r) => r.datname);
    const open = async () =>
      (
        await admin.query<{ datname: string }>(
          `SELECT datname FROM pg_database WHERE datname = ANY($1) AND has_database_privilege('public', datname, 'CONNECT')`,
          [targets],
        )
      ).rows.map((r) => r.datname);

    for (const database of await open()) {
      // A role that is neither owner nor superuser gets a warning, or an error, and changes nothing:
      // the check below decides.
      await closeTo((text) => admin.query(text), admin, database, roles).catch(() => {});
    }
    // Latchkey's own role usually owns its database even when the admin role does not.
    if ((await open()).includes(platform!.database)) {
      await closeTo((text) => db.execute(sql.raw(text)), admin, platform!.database, roles).catch(() => {});
    }
    const still = await open();
    if (still.length > 0) {
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        `Per-environment databases are off: environment roles could connect to ${still.join(', ')} on the LATCH_APP_DATABASE_URL cluster, and Latchkey's role there (${me.role}) cannot close them.`,
        {
          hint: `Run as a superuser: ${still.map((d) => `REVOKE CONNECT, TEMPORARY ON DATABASE ${admin.escapeIdentifier(d)} FROM PUBLIC; GRANT CONNECT ON DATABASE ${admin.escapeIdentifier(d)} TO ${roles.map((r) => admin.escapeIdentifier(r)).join(', ')};`).join(' ')} Better: give LATCH_APP_DATABASE_URL a PostgreSQL cluster of its own.`,
        },
      );
    }
  } finally {
    await admin.end().catch(() => {});
  }
}
