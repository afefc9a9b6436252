import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { type App, type AppDeps, buildApp } from '../../src/app.js';
import { createTestClock, type TestClock } from '../../src/clock.js';
import { defaultConfig, type ServerConfig } from '../../src/config.js';
import type { Actor } from '../../src/services/actor.js';
import type { Database } from '../../src/store/db.js';
import { useTestDatabase } from './db.js';

export type SignedUp = { userId: string; email: string; token: string; personalOrgId: string; actor: Actor };

export type TestApp = {
  app: App;
  database: Database;
  clock: TestClock;
  config: ServerConfig;
  /** A new user (with personal org) and a PAT for them, made through the real services. */
  signUp(email?: string, opts?: { scopes?: string[] }): Promise<SignedUp>;
  /** Bearer header for app.inject. */
  auth(token: string): { authorization: string };
};

let counter = 0;

export type TestAppOptions = { logger?: AppDeps['logger'] };

export async function createTestApp(
  database: Database,
  overrides: Partial<ServerConfig> = {},
  deps: Pick<AppDeps, 'logger' | 'processMetrics'> = {},
): Promise<TestApp> {
  const clock = createTestClock(new Date());
  const config = defaultConfig({
    mode: 'dev',
    // Secrets need a master key: a fresh random one per test app, as in a real deployment.
    masterKey: randomBytes(32),
    ...overrides,
    // Tests hammer the API from one address; the limiters under test get their own configs.
    rateLimits: {
      ...defaultConfig().rateLimits,
      perIp: { points: 100_000, durationSeconds: 60 },
      ...overrides.rateLimits,
    },
  });
  const app = await buildApp({ database, config, clock, ...deps });

  async function signUp(
    email = `user${++counter}-${Date.now()}@example.com`,
    opts: { scopes?: string[] } = {},
  ) {
    const meta = { ip: '127.0.0.1', requestId: null };
    const { user, created } = await database.db.transaction(async (tx) => {
      const user = await app.services.identity.createUser(tx, { email }, meta, 'test');
      const created = await app.services.tokens.issuePat(
        tx,
        { type: 'user', id: user.id, label: user.email },
        user.id,
        { name: 'test', via: 'test', ...(opts.scopes ? { scopes: opts.scopes } : {}) },
      );
      return { user, created };
    });
    const actor: Actor = {
      principal: {
        kind: 'user',
        userId: user.id,
        email: user.email,
        credential: { type: 'pat', id: created.id, scopes: created.scopes, expiresAt: null },
      },
      org: null,
      requestId: null,
      ip: '127.0.0.1',
    };
    const [personal] = await app.services.orgs.list(actor);
    return { userId: user.id, email: user.email, token: created.token, personalOrgId: personal!.id, actor };
  }

  return { app, database, clock, config, signUp, auth: (token) => ({ authorization: `Bearer ${token}` }) };
}

/** One fresh database and app per test file. */
export function useTestApp(overrides: Partial<ServerConfig> = {}, opts: TestAppOptions = {}): TestApp {
  const db = useTestDatabase();
  const handle = {} as TestApp;
  beforeAll(async () => {
    Object.assign(handle, await createTestApp(db.database, overrides, opts));
  });
  afterAll(async () => {
    await handle.app?.close();
  });
  return handle;
}

/**
 * useTestApp, listening on a free port of 127.0.0.1 for what needs a real socket (server-sent
 * event streams, fetch): `url` is its base URL once the file's tests run. useTestApp's close ends
 * open streams too (preClose), so none keeps the file from finishing.
 */
export function useListeningTestApp(
  overrides: Partial<ServerConfig> = {},
  opts: TestAppOptions = {},
): TestApp & { url: string } {
  const t = useTestApp(overrides, opts) as TestApp & { url: string };
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    t.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  return t;
}
