import { afterAll, beforeAll } from 'vitest';
import { actorIn, makeProject, type ProjectFixture } from '../../../server/test/api-keys/fixtures.js';
import { createTestApp, type TestApp } from '../../../server/test/helpers/app.js';
import { useTestDatabase } from '../../../server/test/helpers/db.js';

export type Latchkey = {
  t: TestApp;
  /** Where the real server listens on loopback. */
  url: string;
  project: ProjectFixture;
  /** Options for createVerifier/createClient against this project's production environment. */
  verifierOptions(extra?: Record<string, unknown>): {
    apiUrl: string;
    token: string;
    org: string;
    project: string;
    environment: string;
  };
  revoke(id: string): Promise<void>;
};

/**
 * A real Latchkey server (the app, on a fresh database of the test run's PostgreSQL) listening on
 * 127.0.0.1, with a project whose production environment declares the SPEC 6 scopes.
 */
export function useLatchkey(): Latchkey {
  const db = useTestDatabase();
  const handle = {} as Latchkey;
  beforeAll(async () => {
    const t = await createTestApp(db.database);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const project = await makeProject(t);
    // Apps sign in with a platform key, as the README says (createVerifier refuses a person's PAT).
    const appKey = await t.app.services.platformKeys.create(await actorIn(t, project.owner, project.orgId), {
      name: 'sdk tests',
      scopes: ['api_keys:write', 'logs:write', 'secrets:read', 'environments:read', 'effects:write'],
    });
    Object.assign(handle, {
      t,
      url,
      project,
      verifierOptions: (extra = {}) => ({
        apiUrl: url,
        token: appKey.token,
        org: project.orgId,
        project: project.name,
        environment: 'production',
        ...extra,
      }),
      async revoke(id: string) {
        const res = await t.app.inject({
          method: 'DELETE',
          url: `${project.base}/api-keys/${id}`,
          headers: t.auth(project.owner.token),
        });
        if (res.statusCode !== 200) throw new Error(`revoke failed: ${res.body}`);
      },
    } satisfies Latchkey);
  });
  afterAll(async () => {
    await handle.t?.app.close();
  });
  return handle;
}

export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 3000): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
