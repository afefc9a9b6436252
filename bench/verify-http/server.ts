/**
 * The server process of the verify-http benchmark (run by run.mjs with
 * `node --conditions=source --import tsx`): the real Latchkey app on DATABASE_URL, plus a bare
 * Fastify app in the same process as the baseline. Prints one line `READY <json>` when listening.
 *
 * Environment: DATABASE_URL; BENCH_SEED (a JSON file: read if present, else written after
 * seeding a user, PAT, project, environment, manifest and one key); BENCH_CACHE=0 turns the
 * verification cache off; BENCH_REDIS_URL shares the rate limits through Redis; BENCH_BULK_KEYS / BENCH_REAL_KEYS fill api_keys for the cache-miss run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { displayPrefix, generateToken, hashToken } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import { buildApp } from '../../packages/server/src/app.js';
import { newId } from '../../packages/server/src/ids.js';
import { routeModules } from '../../packages/server/src/routes/index.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';
import { apiKeys } from '../../packages/server/src/store/schema.js';
import { benchConfig, seedOwner } from '../lib/app.js';

type Seed = {
  pat: string;
  orgId: string;
  projectId: string;
  environmentId: string;
  key: string;
  realKeysFile?: string;
};

const env = process.env;
const database = openDatabase(env.DATABASE_URL!, { max: 10 });
await migrate(database.pool);

const config = benchConfig({
  verifyCacheEntries: env.BENCH_CACHE === '0' ? 0 : 100_000,
  // bench/shared-limits: the same server with its limits shared through Redis.
  ...(env.BENCH_REDIS_URL ? { redisUrl: env.BENCH_REDIS_URL, redisKeyPrefix: env.BENCH_REDIS_PREFIX } : {}),
});
// Second baseline: the same bare route inside the Latchkey app, behind its global hooks (request
// ids, per-IP rate limit, cookies), so the difference to /api/v1/verify is verification alone.
let answer: unknown = null;
routeModules.push((instance) => {
  instance.post('/bench/bare', async () => answer);
});
const app = await buildApp({ database, config });

async function seed(): Promise<Seed> {
  const { pat, orgId, actor, project, environment } = await seedOwner(app, database, {
    project: 'bench',
    apiKeys: { scopes: { read: { grants: { Project: ['read'], Task: ['read'] } } } },
  });
  const key = await app.services.apiKeys.create(actor, project.id, {
    name: 'bench',
    scope: 'read',
    environment: 'production',
    metadata: { customer: 'cus_bench' },
  });
  return {
    pat,
    orgId,
    projectId: project.id,
    environmentId: environment.id,
    key: key.token,
  };
}

/**
 * 1,000,000 keys: most are rows with random hashes made by generate_series in one statement (the
 * index and table are as large as with real keys), plus `real` keys with valid tokens, whose
 * tokens go to a file for the load generator.
 */
async function fillKeys(s: Seed, bulk: number, real: number, file: string) {
  const db = database.db;
  const count = Number((await db.execute(sql`SELECT count(*)::int AS n FROM api_keys`)).rows[0]!.n);
  if (count < bulk) {
    await db.execute(sql`
      INSERT INTO api_keys (id, org_id, project_id, environment_id, name, scope, key_hash, display_prefix,
                            created_by_type, created_at)
      SELECT 'ak_bulk_' || g, ${s.orgId}, ${s.projectId}, ${s.environmentId}, 'bulk ' || g, 'read',
             sha256(convert_to('bulk-' || g || '-' || random(), 'UTF8')), 'bench_bulk', 'user', now()
      FROM generate_series(${count + 1}::int, ${bulk}::int) AS g`);
    await db.execute(sql`ANALYZE api_keys`);
  }
  if (existsSync(file)) return;
  const tokens: string[] = [];
  for (let i = 0; i < real; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, real - i) }, () => generateToken('bench_'));
    tokens.push(...batch);
    const rows = batch.map((t) => ({
      id: newId('ak'),
      orgId: s.orgId,
      projectId: s.projectId,
      environmentId: s.environmentId,
      name: 'real',
      scope: 'read',
      keyHash: hashToken(t),
      displayPrefix: displayPrefix(t),
      createdByType: 'user',
    }));
    await db.insert(apiKeys).values(rows);
  }
  writeFileSync(file, JSON.stringify(tokens));
}

const seedFile = env.BENCH_SEED!;
const s: Seed = existsSync(seedFile) ? JSON.parse(readFileSync(seedFile, 'utf8')) : await seed();
if (!existsSync(seedFile)) writeFileSync(seedFile, JSON.stringify(s));
if (env.BENCH_BULK_KEYS) {
  await fillKeys(
    s,
    Number(env.BENCH_BULK_KEYS),
    Number(env.BENCH_REAL_KEYS ?? 20_000),
    `${seedFile}.keys.json`,
  );
}

// The baseline answers with exactly what verification answers for the cached key.
const sample = await app.inject({
  method: 'POST',
  url: '/api/v1/verify',
  headers: { authorization: `Bearer ${s.pat}`, 'content-type': 'application/json' },
  payload: { key: s.key },
});
answer = sample.json();
if ((answer as { code?: string }).code !== 'VALID')
  throw new Error(`seed key does not verify: ${sample.body}`);

const bare = Fastify({ logger: false });
bare.post('/api/v1/verify', async () => answer);

await app.listen({ host: '127.0.0.1', port: 0 });
await bare.listen({ host: '127.0.0.1', port: 0 });
const url = (f: { server: { address(): unknown } }) => {
  const addr = f.server.address() as { port: number } | null;
  return addr ? `http://127.0.0.1:${addr.port}` : '';
};
process.stdout.write(
  `READY ${JSON.stringify({ app: url(app), bare: url(bare), inApp: `${url(app)}/bench/bare`, ...s, keysFile: `${seedFile}.keys.json` })}\n`,
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await bare.close();
  await app.close();
  await database.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
// run.mjs holds our stdin open: when it dies (killed, Ctrl-C), the pipe closes and we go too.
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.on('SIGINT', () => void stop());
