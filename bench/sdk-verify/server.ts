/**
 * The Latchkey server of the sdk-verify benchmark (run by run.mjs with
 * `node --conditions=source --import tsx`): the real app on DATABASE_URL, seeded with a user, an
 * org, project `bench` (environment production, scopes read/writer) and a platform key with
 * api_keys:write for the SDK and the `latch` binary. Prints `READY <json>` when listening.
 */
import { buildApp } from '../../packages/server/src/app.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';
import { benchConfig, seedOwner } from '../lib/app.js';

const database = openDatabase(process.env.DATABASE_URL!, { max: 10 });
await migrate(database.pool);
const app = await buildApp({ database, config: benchConfig() });
const { pat, orgId, project } = await seedOwner(app, database, {
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
  url: `/api/v1/orgs/${orgId}/keys`,
  headers: { authorization: `Bearer ${pat}` },
  payload: { name: 'sdk-bench', scopes: ['api_keys:write'] },
});
if (created.statusCode !== 201) throw new Error(`platform key: ${created.body}`);

await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
const ready = {
  url,
  pat,
  orgId,
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
