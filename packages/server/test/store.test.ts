import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/store/db.js';
import { migrate, migrationsDir } from '../src/store/migrate.js';
import { useTestDatabase } from './helpers/db.js';

const migrationFiles = (await readdir(migrationsDir())).filter((f) => f.endsWith('.sql')).sort();

async function appliedMigrations({ pool }: Database): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
  return rows.map((r) => r.name);
}

describe('migrate() on an empty database', () => {
  const db = useTestDatabase({ empty: true });

  it('applies every migration, then finds nothing left to do', async () => {
    expect(migrationFiles.length).toBeGreaterThan(0);
    expect(await migrate(db.database.pool)).toEqual(migrationFiles);
    expect(await appliedMigrations(db.database)).toEqual(migrationFiles);
    const { rows } = await db.database.pool.query("SELECT to_regclass('public.users')::text AS users");
    expect(rows[0].users).toBe('users');

    expect(await migrate(db.database.pool)).toEqual([]);
    expect(await appliedMigrations(db.database)).toEqual(migrationFiles);
  });
});

describe('migrate() from two nodes at once', () => {
  const db = useTestDatabase({ empty: true });

  it('lets one apply the migrations while the other waits, then finds nothing to do', async () => {
    const results = await Promise.all([migrate(db.database.pool), migrate(db.database.pool)]);
    expect(results.map((r) => r.length).sort()).toEqual([0, migrationFiles.length]);
    expect(await appliedMigrations(db.database)).toEqual(migrationFiles);
  });
});

describe('useTestDatabase()', () => {
  const db = useTestDatabase();

  it('hands out an already migrated database', async () => {
    expect(await appliedMigrations(db.database)).toEqual(migrationFiles);
    expect(await migrate(db.database.pool)).toEqual([]);
  });
});
