/**
 * What the benchmarks' server processes share: the real Latchkey app with limits far above what
 * one machine can send (they measure the work, not the limiter), and a seeded owner with a PAT,
 * their personal org and project `bench` (environment production, manifest pushed).
 */
import type { buildApp } from '../../packages/server/src/app.js';
import { defaultConfig, type ServerConfig } from '../../packages/server/src/config.js';
import type { Actor } from '../../packages/server/src/services/actor.js';
import type { Database } from '../../packages/server/src/store/db.js';

export function benchConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const unlimited = { points: 1_000_000_000, durationSeconds: 60 };
  return defaultConfig({
    mode: 'production',
    ...overrides,
    rateLimits: { ...defaultConfig().rateLimits, perIp: unlimited, perCredential: unlimited },
  });
}

export type BenchApp = Awaited<ReturnType<typeof buildApp>>;

/** A new user and PAT, acting in their personal org, which holds project `bench` with `production`. */
export async function seedOwner(app: BenchApp, database: Database, manifest: unknown, keyPrefix = 'bench_') {
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
  const project = await app.services.projects.create(actor, { name: 'bench', keyPrefix });
  const environment = await app.services.environments.create(actor, project.id, { name: 'production' });
  await app.services.manifests.push(actor, project.id, 'production', manifest);
  return { pat: pat.token, orgId: org!.id, actor, project, environment };
}
