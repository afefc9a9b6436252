/**
 * The server process of the secrets benchmark (run by run.mjs with
 * `node --conditions=source --import tsx`): the real Latchkey app on DATABASE_URL with a random
 * master key, seeded with one user and PAT, project `bench`, environment `run200` (200 secrets,
 * deployed) and `read1000` (1,000 secrets, deployed). Prints one line `READY <json>` when listening.
 *
 * The baseline route serves the same release's values from the same table without encryption:
 * the bench adds a plaintext column to its throwaway database (never in the product schema) and
 * reads it with the same auth, query shape, access-log entry and response schema as the real route.
 * It is mounted outside /api/v1, which admits only the contract table's endpoints.
 */
import { randomBytes } from 'node:crypto';
import { ReleasedSecrets } from '@latchkey/core';
import { eq, sql } from 'drizzle-orm';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { buildApp } from '../../packages/server/src/app.js';
import { defaultConfig } from '../../packages/server/src/config.js';
import { routeModules } from '../../packages/server/src/routes/index.js';
import { recordAccess } from '../../packages/server/src/services/access-log/access-log.service.js';
import * as releasesRepo from '../../packages/server/src/services/releases/releases.repo.js';
import { decryptValue } from '../../packages/server/src/services/secrets/crypto.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';
import { releaseSecrets, secretVersions } from '../../packages/server/src/store/schema.js';

const database = openDatabase(process.env.DATABASE_URL!, { max: 10 });
await migrate(database.pool);
const unlimited = { points: 1_000_000_000, durationSeconds: 60 };
const config = defaultConfig({
  mode: 'production',
  masterKey: randomBytes(32),
  rateLimits: { ...defaultConfig().rateLimits, perIp: unlimited, perCredential: unlimited },
});

const plain = sql<string>`bench_plain`;
routeModules.push((instance, ctx) => {
  instance
    .withTypeProvider<ZodTypeProvider>()
    .get(
      '/bench/orgs/:org/projects/:project/environments/:env/plain-secrets',
      { config: { permission: 'secrets:read' }, schema: { response: { 200: ReleasedSecrets } } },
      async (req) => {
        const { project, env } = req.params as { project: string; env: string };
        // The same look-ups, release query, access entry and response schema as the real route.
        const p = await app.services.secrets.locate(req.actor, project, env);
        const current = (await releasesRepo.current(database.db, p.env.id))!;
        const rows = await database.db
          .select({ name: secretVersions.name, value: plain })
          .from(releaseSecrets)
          .innerJoin(secretVersions, eq(secretVersions.id, releaseSecrets.secretVersionId))
          .where(eq(releaseSecrets.releaseId, current.id))
          .orderBy(releaseSecrets.name);
        const values: Record<string, string> = {};
        for (const r of rows) values[r.name] = r.value;
        await recordAccess(database.db, ctx.clock, req.actor, {
          orgId: p.env.orgId,
          action: 'secrets.released',
          project: p.project.name,
          environment: p.env.name,
          names: rows.map((r) => r.name),
          data: { source: 'release', release: current.number, count: rows.length },
        });
        return {
          environment: { id: p.env.id, name: p.env.name },
          source: 'release' as const,
          release: {
            number: current.number,
            createdAt: current.createdAt.toISOString(),
            rollbackOf: current.rollbackOf,
          },
          values,
        };
      },
    );
});
// The baseline route above uses `app` only when called, after this line.
const app = await buildApp({ database, config });

async function api(token: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload ? { payload } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

const pat = await database.db.transaction(async (tx) => {
  const user = await app.services.identity.createUser(
    tx,
    { email: `bench-${Date.now()}@example.com` },
    { ip: '127.0.0.1', requestId: null },
    'bench',
  );
  return app.services.tokens.issuePat(tx, { type: 'user', id: user.id, label: user.email }, user.id, {
    name: 'bench',
    via: 'bench',
  });
});
const org = (await api(pat.token, 'POST', '/api/v1/orgs', { name: `Bench ${Date.now()}` })) as { id: string };
await api(pat.token, 'POST', `/api/v1/orgs/${org.id}/projects`, { name: 'bench' });

const envIds: Record<string, string> = {};
const decryptMs: Record<string, number> = {};
for (const [name, count] of [
  ['run200', 200],
  ['read1000', 1000],
] as const) {
  const env = (await api(pat.token, 'POST', `/api/v1/orgs/${org.id}/projects/bench/environments`, {
    name,
  })) as { id: string };
  envIds[name] = env.id;
  const values = Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `BENCH_SECRET_${String(i).padStart(4, '0')}`,
      randomBytes(30).toString('base64url'),
    ]),
  );
  const content = Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  await api(pat.token, 'POST', `/api/v1/orgs/${org.id}/projects/bench/environments/${name}/secrets/import`, {
    content,
  });
  await api(pat.token, 'POST', `/api/v1/orgs/${org.id}/projects/bench/environments/${name}/deploy`, {});
  // The baseline's copy of the same values, in the same rows.
  await database.pool.query('ALTER TABLE secret_versions ADD COLUMN IF NOT EXISTS bench_plain text');
  await database.pool.query('ALTER TABLE secret_versions DISABLE TRIGGER secret_versions_immutable');
  await database.pool.query(
    'UPDATE secret_versions s SET bench_plain = v.value FROM json_each_text($1::json) v WHERE s.environment_id = $2 AND s.name = v.key',
    [JSON.stringify(values), env.id],
  );
  // Decryption alone, in process, with the data key cached as on a running server.
  const current = (await releasesRepo.current(database.db, env.id))!;
  const rows = await releasesRepo.pinnedCiphertexts(database.db, current.id);
  const place = { orgId: org.id, environmentId: env.id };
  const key = (await app.services.keyring.find(database.db, { id: env.id, orgId: org.id }, name))!;
  const read: Record<string, string> = {};
  const roundsMs: number[] = [];
  for (let round = 0; round < 30; round++) {
    const started = process.hrtime.bigint();
    for (const r of rows) {
      read[r.name] = decryptValue(
        key,
        r.ciphertext!,
        { ...place, projectId: r.projectId, name: r.name, version: r.version },
        name,
      );
    }
    roundsMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  // Median round: the first ones pay for JIT warm-up, which a running server has long done.
  decryptMs[name] = roundsMs.sort((x, y) => x - y)[15]!;
  if (Object.keys(read).length !== count || read[Object.keys(values)[0]!] !== Object.values(values)[0]) {
    throw new Error('seeding failed');
  }
}

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
console.log(
  `READY ${JSON.stringify({ url: `http://127.0.0.1:${address.port}`, token: pat.token, orgId: org.id, envIds, decryptMs })}`,
);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => database.close())
    .then(() => process.exit(0));
});
