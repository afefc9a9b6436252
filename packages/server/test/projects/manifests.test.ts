import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { addMember, auditRows, call, exampleManifest, manifestUrl, orgWithProject } from './fixtures.js';

const t = useTestApp();

describe('access manifests', () => {
  it('pushes a manifest as a new version per environment and reads it back, audited', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme', ['staging', 'production']);
    const url = manifestUrl(org.id, 'acme', 'staging');

    const none = await call(t, owner.token, 'GET', url);
    expect(none.statusCode).toBe(404);
    expect(none.json().error.hint).toContain('latch scopes push --env staging');

    const first = await call(t, owner.token, 'POST', url, exampleManifest());
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      environment: { name: 'staging' },
      version: 1,
      changed: true,
      scopes: ['read', 'writer'],
      routeCount: 5,
      pushedBy: owner.email,
    });

    // The same content again is not a new version (key order does not matter).
    const reordered = {
      routes: exampleManifest().routes,
      apiKeys: exampleManifest().apiKeys,
      project: 'acme',
    };
    const again = await call(t, owner.token, 'POST', url, reordered);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ version: 1, changed: false });

    const changed = exampleManifest();
    changed.apiKeys.scopes = {
      ...changed.apiKeys.scopes,
      admin: { grants: { Project: ['read', 'write'] } },
    } as never;
    const second = await call(t, owner.token, 'POST', url, changed);
    expect(second.json()).toMatchObject({ version: 2, changed: true, scopes: ['admin', 'read', 'writer'] });

    const read = await call(t, owner.token, 'GET', url);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ version: 2, manifest: { project: 'acme' } });
    expect(read.json().manifest.apiKeys.scopes.admin).toEqual({ grants: { Project: ['read', 'write'] } });

    // Environments are separate: production has none yet, and lists show the version in force.
    expect((await call(t, owner.token, 'GET', manifestUrl(org.id, 'acme', 'production'))).statusCode).toBe(
      404,
    );
    const envs = await call(t, owner.token, 'GET', `/api/v1/orgs/${org.id}/projects/acme/environments`);
    expect(
      Object.fromEntries(
        envs.json().items.map((e: { name: string; manifest: unknown }) => [e.name, e.manifest]),
      ),
    ).toEqual({
      production: null,
      staging: { version: 2, pushedAt: expect.any(String) },
    });

    const pushes = (await auditRows(t, org.id)).filter((r) => r.action === 'manifest.pushed');
    expect(pushes.map((r) => r.data)).toEqual([
      { project: 'acme', environment: 'staging', version: 1, scopes: ['read', 'writer'], routeCount: 5 },
      {
        project: 'acme',
        environment: 'staging',
        version: 2,
        scopes: ['admin', 'read', 'writer'],
        routeCount: 5,
      },
    ]);
    expect(await t.app.services.manifests.current(read.json().environment.id)).toMatchObject({
      project: 'acme',
    });
  });

  it('refuses an invalid manifest with 400 and every bad field in details.issues', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme', ['staging']);
    const bad = exampleManifest() as ReturnType<typeof exampleManifest> & { extra?: number };
    (bad.routes[0]!.routes as Record<string, unknown>)['GET /projects'] = {
      handler: 'listProjects',
      auth: 'apiKey:reed',
    };
    const res = await call(t, owner.token, 'POST', manifestUrl(org.id, 'acme', 'staging'), bad);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(
        'routes[0].routes["GET /projects"].auth: scope "reed" is not declared; declared: read, writer',
      ),
      details: {
        issues: [
          {
            path: 'routes[0].routes["GET /projects"].auth',
            message: 'scope "reed" is not declared; declared: read, writer',
          },
        ],
      },
    });

    const several = {
      project: 'acme',
      routes: [{ prefix: 'v1', auth: 'apiKey:x', routes: { 'FETCH /a': 'a' } }],
      extra: 1,
    };
    const many = await call(t, owner.token, 'POST', manifestUrl(org.id, 'acme', 'staging'), several);
    expect(many.statusCode).toBe(400);
    expect(many.json().error.details.issues.map((i: { path: string }) => i.path)).toEqual([
      'routes[0].prefix',
      'routes[0].routes["FETCH /a"]',
      'extra',
    ]);
    expect(many.json().error.message).toContain('(and 2 more)');

    const wrongProject = await call(
      t,
      owner.token,
      'POST',
      manifestUrl(org.id, 'acme', 'staging'),
      exampleManifest('other'),
    );
    expect(wrongProject.statusCode).toBe(400);
    expect(wrongProject.json().error.details.issues).toEqual([
      { path: 'project', message: 'is "other" but this pushes to project acme' },
    ]);
    expect((await auditRows(t, org.id)).filter((r) => r.action === 'manifest.pushed')).toHaveLength(0);
  });

  it('needs deploy:write to push and projects:read to read; 404 for unknown environments', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme', ['staging']);
    const viewer = await addMember(t, owner.token, org.id, 'viewer');
    const dev = await addMember(t, owner.token, org.id, 'developer');
    const url = manifestUrl(org.id, 'acme', 'staging');
    const denied = await call(t, viewer.token, 'POST', url, exampleManifest());
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toContain('deploy:write');
    expect((await call(t, dev.token, 'POST', url, exampleManifest())).statusCode).toBe(201);
    expect((await call(t, viewer.token, 'GET', url)).statusCode).toBe(200);
    const noEnv = await call(t, owner.token, 'POST', manifestUrl(org.id, 'acme', 'prod'), exampleManifest());
    expect(noEnv.statusCode).toBe(404);
    expect(noEnv.json().error.hint).toContain('latch env list');
  });

  it("answers 404 for another org's environment, through either org", async () => {
    const alice = await t.signUp();
    const bob = await t.signUp();
    const { org: aliceOrg, project } = await orgWithProject(t, alice, 'acme', ['staging']);
    const { org: bobOrg } = await orgWithProject(t, bob, 'acme', ['staging']);
    await call(t, alice.token, 'POST', manifestUrl(aliceOrg.id, 'acme', 'staging'), exampleManifest());
    const theirOrg = await call(t, bob.token, 'GET', manifestUrl(aliceOrg.id, 'acme', 'staging'));
    expect(theirOrg.statusCode).toBe(404);
    const theirProjectId = await call(t, bob.token, 'GET', manifestUrl(bobOrg.id, project.id, 'staging'));
    expect(theirProjectId.statusCode).toBe(404);
    const pushed = await call(
      t,
      bob.token,
      'POST',
      manifestUrl(bobOrg.id, project.id, 'staging'),
      exampleManifest(),
    );
    expect(pushed.statusCode).toBe(404);
    // Bob's own project of the same name is untouched by Alice's push.
    expect((await call(t, bob.token, 'GET', manifestUrl(bobOrg.id, 'acme', 'staging'))).statusCode).toBe(404);
  });
});
