/**
 * The Latchkey server of the sdk-verify benchmark (run by run.mjs with
 * `node --conditions=source --import tsx`): the real app on DATABASE_URL, seeded with a user, an
 * org, project `bench` (environment production, scopes read/writer) and a platform key with
 * api_keys:write for the SDK and the `latch` binary. Prints `READY <json>` when listening.
 */
import { buildApp } from '../../packages/server/src/app.js';
import { defaultConfig } from '../../packages/server/src/config.js';
import type { Actor } from '../../packages/server/src/services/actor.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';

const database = openDatabase(process.env.DATABASE_URL!, { max: 10 });
await migrate(database.pool);
// Limits far above what the benchmark sends: it measures the SDK, not the server's limiter.
const unlimited = { points: 1_000_000_000, durationSeconds: 60 };
const config = defaultConfig({
  mode: 'production',
  rateLimits: { ...defaultConfig().rateLimits, perIp: unlimited, perCredential: unlimited },
});
const app = await buildApp({ database, config });

const meta = { ip: '127.0.0.1', requestId: null };
const pat = await database.db.transaction(async (tx) => {
  const user = await app.services.identity.createUser(
    tx,
    { email: `bench-${Date.now()}@example.com` },
    meta,
    'bench',
  );
  return app.services.tokens.issuePat(tx, { type: 'user', id: user.id, label: user.email }, user.id, {
    name: 'bench',
    via: 'bench',
  });
});
const principal = await app.services.tokens.authenticate(pat.token);
const [org] = await app.services.orgs.list({ principal, org: null, requestId: null, ip: null });
const actor: Actor = {
  principal,
  org: await app.services.orgs.resolve(principal, org!.id),
  requestId: null,
  ip: null,
};
const project = await app.services.projects.create(actor, { name: 'bench', keyPrefix: 'bench_' });
await app.services.environments.create(actor, project.id, { name: 'production' });
await app.services.manifests.push(actor, project.id, 'production', {
  project: 'bench',
  apiKeys: {
    scopes: {
      read: { grants: { Project: ['read'], Task: ['read'] } },
      writer: { grants: { Project: ['read'], Task: ['read', 'write'] } },
    },
  },
});
const created = await app.inject({
  method: 'POST',
  url: `/api/v1/orgs/${org!.id}/keys`,
  headers: { authorization: `Bearer ${pat.token}` },
  payload: { name: 'sdk-bench', scopes: ['api_keys:write'] },
});
if (created.statusCode !== 201) throw new Error(`platform key: ${created.body}`);

await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
const ready = {
  url,
  pat: pat.token,
  orgId: org!.id,
  projectId: project.id,
  platformKey: created.json().token,
};
process.stdout.write(`READY ${JSON.stringify(ready)}\n`);

const stop = async () => {
  await app.close();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
