import type { TestProject } from 'vitest/node';
import { startTestPostgres, type TestPostgres } from '../src/store/test-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test run's PostgreSQL; test files make their own databases on it. */
    adminUrl: string;
  }
}

// The server and e2e projects both name this file and vitest runs it once per project; they share
// one PostgreSQL (the last teardown stops it) instead of starting two.
type Shared = { server: Promise<TestPostgres>; users: number };
const key = Symbol.for('latchkey.test-postgres');
const registry = globalThis as unknown as { [key]?: Shared };

export default async function setup(project: TestProject) {
  registry[key] ??= { server: startTestPostgres(), users: 0 };
  const shared = registry[key];
  shared.users += 1;
  const server = await shared.server;
  project.provide('adminUrl', server.adminUrl);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[key];
    await server.stop();
  };
}
