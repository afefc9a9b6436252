import { afterAll, beforeAll, inject } from 'vitest';
import { type Database, openDatabase } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../src/store/test-database.js';

export type TestDatabaseHandle = {
  /** Set in beforeAll: read it inside hooks and tests, not at the top level of the file. */
  database: Database;
  url: string;
  name: string;
};

/**
 * A fresh, migrated database for the calling test file (call it at the file's top level or in a
 * describe block); closed and dropped after its tests. `empty: true` skips the migrations, for
 * testing migrate() itself.
 */
export function useTestDatabase(opts: { empty?: boolean } = {}): TestDatabaseHandle {
  const handle = {} as TestDatabaseHandle;
  let created: TestDatabase | undefined;
  beforeAll(async () => {
    created = await createTestDatabase(inject('adminUrl'), opts);
    Object.assign(handle, { database: openDatabase(created.url), url: created.url, name: created.name });
  });
  // vitest runs afterAll hooks in reverse order, so hooks registered later (closing an app that
  // uses this database) finish before the database is closed and dropped.
  afterAll(async () => {
    await handle.database?.close();
    await created?.drop();
  });
  return handle;
}
