/**
 * The server process of the sizing benchmark (run by run.mjs with
 * `node --expose-gc --conditions=source --import tsx`): the real Latchkey app on DATABASE_URL with
 * its default verification cache (100,000 entries), on a database seeded at size:
 *   - BENCH_ORGS orgs (default 10,000), each with one project and environment, and the bench user
 *     owning every one of them (so the user's org list is that long);
 *   - BENCH_KEYS app keys (default 1,000,000): half in project `bench` of the user's personal org
 *     (one long key list), half spread over the other orgs' projects;
 *   - of them, BENCH_REAL_KEYS (default 90,000) real keys of project `bench`, whose tokens go to a
 *     file for the load generator. The rest are rows made by generate_series in one statement
 *     each, with random SHA-256 hashes and display prefixes of the real shape, so the table and
 *     its indexes are as large as with real keys.
 * Plus a bench-only route, GET /bench/heap: a full GC, then process.memoryUsage() and the
 * verification cache's hit and miss counts.
 * Prints `READY <json>` when listening (with the seeding time when it seeded).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { displayPrefix, generateToken, hashToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../packages/server/src/app.js';
import { newId } from '../../packages/server/src/ids.js';
import { routeModules } from '../../packages/server/src/routes/index.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';
import { benchConfig, seedOwner } from '../lib/app.js';

const env = process.env;
const orgCount = Number(env.BENCH_ORGS) || 10_000;
const keyCount = Number(env.BENCH_KEYS) || 1_000_000;
const realCount = Number(env.BENCH_REAL_KEYS) || 90_000;
const seedFile = env.BENCH_SEED!;

const database = openDatabase(env.DATABASE_URL!, { max: 10 });
await migrate(database.pool);
routeModules.push((instance) => {
  instance.get('/bench/heap', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 3; i++) gc?.();
    return { ...process.memoryUsage(), verify: app.services.apiKeys.verifyStats };
  });
});
// The default cache (100,000 entries): what a node runs with.
const app = await buildApp({ database, config: benchConfig() });

type Seed = {
  pat: string;
  platformKey: string;
  userId: string;
  orgId: string;
  projectId: string;
  tokensFile: string;
  seedSeconds: Record<string, number>;
};

async function seed(): Promise<Seed> {
  const seconds: Record<string, number> = {};
  const timed = async (name: string, work: () => Promise<unknown>) => {
    const start = performance.now();
    await work();
    seconds[name] = (performance.now() - start) / 1000;
  };
  const { pat, orgId, actor, project, environment } = await seedOwner(app, database, {
    project: 'bench',
    apiKeys: { scopes: { read: { grants: { Project: ['read'], Task: ['read'] } } } },
  });
  const userId = actor.principal.kind === 'user' ? actor.principal.userId : '';
  const created = await app.inject({
    method: 'POST',
    url: `/api/v1/orgs/${orgId}/keys`,
    headers: { authorization: `Bearer ${pat}` },
    payload: { name: 'sizing-sdk', scopes: ['api_keys:write'] },
  });
  if (created.statusCode !== 201) throw new Error(`platform key: ${created.body}`);
  const db = database.db;
  // Whole seconds apart, as a server's clock would have written them over months.
  await timed('orgs', () =>
    db.execute(sql`
      WITH g AS (SELECT n, timestamptz '2026-01-01' + n * interval '17 minutes' AS at
                   FROM generate_series(1, ${orgCount}::int) AS n),
           o AS (INSERT INTO orgs (id, name, created_at)
                 SELECT 'org_sz' || lpad(n::text, 6, '0'), 'sizing org ' || n, at FROM g),
           m AS (INSERT INTO memberships (org_id, user_id, role, created_at)
                 SELECT 'org_sz' || lpad(n::text, 6, '0'), ${userId}, 'owner', at FROM g),
           p AS (INSERT INTO projects (id, org_id, name, key_prefix, created_by, created_at)
                 SELECT 'prj_sz' || lpad(n::text, 6, '0'), 'org_sz' || lpad(n::text, 6, '0'), 'app',
                        'sz' || n || '_', ${userId}, at FROM g)
      INSERT INTO environments (id, org_id, project_id, name, created_by, created_at)
      SELECT 'env_sz' || lpad(n::text, 6, '0'), 'org_sz' || lpad(n::text, 6, '0'),
             'prj_sz' || lpad(n::text, 6, '0'), 'production', ${userId}, at FROM g`),
  );
  const inBench = Math.floor(keyCount / 2) - realCount;
  const spread = keyCount - Math.floor(keyCount / 2);
  const perOrg = Math.ceil(spread / orgCount);
  await timed('bulk keys', async () => {
    // Project bench: one long list, 30 s apart going back from the real keys.
    await db.execute(sql`
      INSERT INTO api_keys (id, org_id, project_id, environment_id, name, scope, key_hash, display_prefix,
                            created_by_type, created_by, created_at)
      SELECT 'ak_szb' || n, ${orgId}, ${project.id}, ${environment.id}, 'bulk ' || n, 'read',
             sha256(convert_to('sizing-' || n || '-' || random(), 'UTF8')),
             'bench_' || substr(md5(n::text), 1, 4), 'user', ${userId},
             timestamptz '2026-01-01' + n * interval '30 s'
        FROM generate_series(1, ${inBench}::int) AS n`);
    // The other orgs: perOrg keys each.
    await db.execute(sql`
      INSERT INTO api_keys (id, org_id, project_id, environment_id, name, scope, key_hash, display_prefix,
                            created_by_type, created_by, created_at)
      SELECT 'ak_szo' || n, 'org_sz' || lpad(o::text, 6, '0'), 'prj_sz' || lpad(o::text, 6, '0'),
             'env_sz' || lpad(o::text, 6, '0'), 'key ' || n, 'read',
             sha256(convert_to('sizing-o-' || n || '-' || random(), 'UTF8')),
             'sz' || o || '_' || substr(md5(n::text), 1, 4), 'user', ${userId},
             timestamptz '2026-01-01' + n * interval '30 s'
        FROM generate_series(1, ${spread}::int) AS n, LATERAL (SELECT (n - 1) / ${perOrg}::int + 1 AS o) x`);
  });
  const tokens: string[] = [];
  await timed('real keys', async () => {
    // Newest in the list: the first page of project bench is made of real keys.
    const base = Date.parse('2026-07-01T00:00:00Z');
    for (let i = 0; i < realCount; i += 10_000) {
      const batch = Array.from({ length: Math.min(10_000, realCount - i) }, () => generateToken('bench_'));
      await database.pool.query(
        `INSERT INTO api_keys (id, org_id, project_id, environment_id, name, scope, key_hash, display_prefix,
                               created_by_type, created_by, created_at)
         SELECT id, $1, $2, $3, 'real', 'read', h, d, 'user', $4, at
           FROM unnest($5::text[], $6::bytea[], $7::text[], $8::timestamptz[]) AS t(id, h, d, at)`,
        [
          orgId,
          project.id,
          environment.id,
          userId,
          batch.map(() => newId('ak')),
          batch.map((t) => hashToken(t)),
          batch.map((t) => displayPrefix(t)),
          batch.map((_, j) => new Date(base + (i + j) * 1000).toISOString()),
        ],
      );
      tokens.push(...batch);
    }
  });
  await timed('analyze', () => db.execute(sql`ANALYZE`));
  const tokensFile = `${seedFile}.tokens.json`;
  writeFileSync(tokensFile, JSON.stringify(tokens));
  return {
    pat,
    platformKey: created.json().token,
    userId,
    orgId,
    projectId: project.id,
    tokensFile,
    seedSeconds: seconds,
  };
}

const s: Seed = existsSync(seedFile) ? JSON.parse(readFileSync(seedFile, 'utf8')) : await seed();
if (!existsSync(seedFile)) writeFileSync(seedFile, JSON.stringify(s));

await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
process.stdout.write(`READY ${JSON.stringify({ url, ...s })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.close();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// run.mjs holds our stdin open: when it dies, the pipe closes and we go too.
process.stdin.on('close', () => void stop());
process.stdin.resume();
