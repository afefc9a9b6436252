import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { addMember, auditRows, call, envsUrl, orgWithProject } from './fixtures.js';

const t = useTestApp();

/** An app API key row, inserted directly: the API-key service is another part of the product. */
async function insertApiKey(envId: string, opts: { revoked?: boolean } = {}) {
  const [env] = (
    await t.database.db.execute(sql`SELECT org_id, project_id FROM environments WHERE id = ${envId}`)
  ).rows as { org_id: string; project_id: string }[];
  const id = `key_${randomBytes(8).toString('hex')}`;
  await t.database.db.execute(sql`
    INSERT INTO api_keys (id, org_id, project_id, environment_id, name, scope, key_hash, display_prefix,
                          created_by_type, revoked_at)
    VALUES (${id}, ${env!.org_id}, ${env!.project_id}, ${envId}, 'test key', 'read', ${randomBytes(32)},
            'acme_abcd', 'user', ${opts.revoked ? new Date() : null})`);
  return id;
}

describe('environments', () => {
  it('creates and lists environments, audited', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme');
    const created = await call(t, owner.token, 'POST', envsUrl(org.id, 'acme'), { name: 'production' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: 'production', manifest: null });
    expect(created.json().id).toMatch(/^env_/);
    t.clock.advance(1000);
    await call(t, owner.token, 'POST', envsUrl(org.id, 'ACME'), { name: 'pr-123' });

    const list = await call(t, owner.token, 'GET', envsUrl(org.id, 'acme'));
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((e: { name: string }) => e.name)).toEqual(['pr-123', 'production']);
    // Its project nested as { id, name }, like the environment inside secrets and releases.
    const project = { id: created.json().projectId, name: 'acme' };
    expect(created.json().project).toEqual(project);
    expect(list.json().items.map((e: { project: unknown }) => e.project)).toEqual([project, project]);
    expect((await auditRows(t, org.id)).filter((r) => r.action === 'environment.created')).toHaveLength(2);
    expect((await auditRows(t, org.id)).at(-1)).toMatchObject({
      action: 'environment.created',
      data: { project: 'acme', name: 'pr-123' },
    });
  });

  it('refuses bad names with the rule and the standard names, and duplicates with 409', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme', ['staging']);
    for (const name of ['Production', 'prod_1', '-dev', 'x'.repeat(41)]) {
      const res = await call(t, owner.token, 'POST', envsUrl(org.id, 'acme'), { name });
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error.message).toContain('development, staging, production, preview');
    }
    const dup = await call(t, owner.token, 'POST', envsUrl(org.id, 'acme'), { name: 'staging' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('CONFLICT');
    const noProject = await call(t, owner.token, 'POST', envsUrl(org.id, 'nope'), { name: 'staging' });
    expect(noProject.statusCode).toBe(404);
    expect(noProject.json().error.hint).toContain('latch projects list');
  });

  it("answers 404 for another org's project and environments", async () => {
    const alice = await t.signUp();
    const bob = await t.signUp();
    const { project } = await orgWithProject(t, alice, 'acme', ['production']);
    const { org: bobOrg } = await orgWithProject(t, bob, 'mine');
    for (const [method, url] of [
      ['GET', envsUrl(bobOrg.id, project.id)],
      ['POST', envsUrl(bobOrg.id, project.id)],
      ['DELETE', `${envsUrl(bobOrg.id, project.id)}/production?force=true`],
      ['DELETE', `${envsUrl(bobOrg.id, 'mine')}/production`],
    ] as const) {
      const res = await call(t, bob.token, method, url, method === 'POST' ? { name: 'x' } : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
  });

  it('deletes an environment: admins only, refusing while it has API keys unless force', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme', ['production', 'staging']);
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const envs = (await call(t, owner.token, 'GET', envsUrl(org.id, 'acme'))).json().items as {
      id: string;
      name: string;
    }[];
    const prod = envs.find((e) => e.name === 'production')!;
    const staging = envs.find((e) => e.name === 'staging')!;

    const byDev = await call(t, dev.token, 'DELETE', `${envsUrl(org.id, 'acme')}/staging`);
    expect(byDev.statusCode).toBe(403);
    expect(byDev.json().error.message).toContain('environments:manage');

    await insertApiKey(prod.id);
    await insertApiKey(prod.id);
    await insertApiKey(prod.id, { revoked: true });
    const refused = await call(t, owner.token, 'DELETE', `${envsUrl(org.id, 'acme')}/production`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'CONFLICT',
      message: 'Environment production of acme still has 2 API keys.',
      details: { apiKeys: 2 },
    });
    expect(refused.json().error.hint).toContain('--force');

    const forced = await call(t, owner.token, 'DELETE', `${envsUrl(org.id, 'acme')}/production?force=true`);
    expect(forced.statusCode, forced.body).toBe(200);
    expect(forced.json()).toMatchObject({ id: prod.id, name: 'production', deletedApiKeys: 3 });
    const left = await t.database.db.execute(
      sql`SELECT count(*)::int AS n FROM api_keys WHERE environment_id = ${prod.id}`,
    );
    expect(left.rows[0]).toEqual({ n: 0 });

    // Revoked keys alone do not block; an id works as well as a name.
    await insertApiKey(staging.id, { revoked: true });
    const plain = await call(t, owner.token, 'DELETE', `${envsUrl(org.id, 'acme')}/${staging.id}`);
    expect(plain.statusCode, plain.body).toBe(200);
    expect((await call(t, owner.token, 'GET', envsUrl(org.id, 'acme'))).json().items).toEqual([]);

    const deletions = (await auditRows(t, org.id)).filter((r) => r.action === 'environment.deleted');
    expect(deletions.map((r) => r.data)).toEqual([
      expect.objectContaining({ name: 'production', force: true, apiKeys: 3 }),
      expect.objectContaining({ name: 'staging', force: false, apiKeys: 1 }),
    ]);
    const gone = await call(t, owner.token, 'DELETE', `${envsUrl(org.id, 'acme')}/staging`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.hint).toContain('latch env list');
  });

  it('runs deleting hooks inside the transaction, with the ids of the keys that go', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme', ['preview']);
    const [env] = (await call(t, owner.token, 'GET', envsUrl(org.id, 'acme'))).json().items as {
      id: string;
    }[];
    const keyId = await insertApiKey(env!.id);
    const seen: unknown[] = [];
    t.app.services.environments.onDeleting(async (_tx, deleted) => {
      seen.push(deleted);
    });
    await call(t, owner.token, 'DELETE', `${envsUrl(org.id, 'acme')}/preview?force=true`);
    expect(seen).toEqual([
      expect.objectContaining({ environmentId: env!.id, name: 'preview', apiKeyIds: [keyId] }),
    ]);
  });
});
