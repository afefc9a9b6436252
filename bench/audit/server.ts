/**
 * The server process of the audit benchmark (run by run.mjs with
 * `node --conditions=source --import tsx`): the real Latchkey app on DATABASE_URL, seeded with an
 * owner, project `bench` and environment `production`. Prints `READY <json>` when listening.
 *
 * `POST /bench/audit-mode {"plain": true}` switches every audit write of this process to the
 * single INSERT of before the hash chain (the baseline); `false` switches back. The same process
 * serves both, so the two are measured on the same warm app, pool and database.
 */
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../packages/server/src/app.js';
import { routeModules } from '../../packages/server/src/routes/index.js';
import { setPlainAuditForBenchmark } from '../../packages/server/src/services/audit/chain-append.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';
import { benchConfig, seedOwner } from '../lib/app.js';

const database = openDatabase(process.env.DATABASE_URL!, { max: 10 });
await migrate(database.pool);
routeModules.push((instance) => {
  instance.post('/bench/audit-mode', { config: { permission: 'public' } }, async (req) => {
    const { plain } = req.body as { plain: boolean };
    setPlainAuditForBenchmark(plain);
    return { plain };
  });
});
const app = await buildApp({ database, config: benchConfig({ masterKey: randomBytes(32) }) });
const { pat, orgId } = await seedOwner(app, database, { project: 'bench' });

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
console.log(`READY ${JSON.stringify({ url: `http://127.0.0.1:${address.port}`, token: pat, orgId })}`);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => database.close())
    .then(() => process.exit(0));
});
