import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { addMember, auditRows, call, createOrg, orgWithProject, projectsUrl } from './fixtures.js';

const t = useTestApp();

describe('projects', () => {
  it('creates a project with a key prefix derived from its name, audited', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const res = await call(t, owner.token, 'POST', projectsUrl(org.name), { name: 'acme-api' });
    expect(res.statusCode, res.body).toBe(201);
    const project = res.json();
    expect(project).toMatchObject({ name: 'acme-api', keyPrefix: 'acmeapi_', environments: [] });
    expect(project.id).toMatch(/^prj_/);
    const rows = await auditRows(t, org.id);
    expect(rows.at(-1)).toMatchObject({
      action: 'project.created',
      actor_id: owner.userId,
      target_type: 'project',
      target_id: project.id,
      data: { name: 'acme-api', keyPrefix: 'acmeapi_' },
    });
  });

  it('takes a key prefix, with or without its final underscore', async () => {
    const owner = await t.signUp();
    const org = await createOrg(t, owner);
    const a = await call(t, owner.token, 'POST', projectsUrl(org.id), {
      name: 'shop',
      keyPrefix: 'shop_live',
    });
    expect(a.json().keyPrefix).toBe('shop_live_');
    const b = await call(t, owner.token, 'POST', projectsUrl(org.id), { name: 'web', keyPrefix: 'lk_pat_' });
    expect(b.statusCode).toBe(400);
    expect(b.json().error).toMatchObject({
      code: 'INVALID_INPUT',
      details: { issues: [{ path: 'keyPrefix' }] },
    });
    expect(b.json().error.message).toContain('reserved');
  });

  it('key prefixes are unique per server: another org gets 409 with a --prefix hint, even in a race', async () => {
    const first = await t.signUp();
    const org = await createOrg(t, first);
    expect((await call(t, first.token, 'POST', projectsUrl(org.id), { name: 'rocket' })).statusCode).toBe(
      201,
    );

    const other = await t.signUp();
    const theirs = await createOrg(t, other);
    // Derived from the name, or given in any case, with or without the underscore: all rocket_.
    for (const body of [
      { name: 'rocket' },
      { name: 'web', keyPrefix: 'ROCKET' },
      { name: 'api', keyPrefix: 'rocket_' },
    ]) {
      const res = await call(t, other.token, 'POST', projectsUrl(theirs.id), body);
      expect(res.statusCode, JSON.stringify(body)).toBe(409);
      expect(res.json().error).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringContaining('rocket_ is already used on this server'),
        hint: expect.stringContaining('--prefix'),
      });
      // Which org holds it is not said.
      expect(res.body).not.toContain(org.name);
    }
    const renamed = await call(t, other.token, 'POST', projectsUrl(theirs.id), {
      name: 'rocket',
      keyPrefix: 'rocket2',
    });
    expect(renamed.statusCode, renamed.body).toBe(201);

    // Concurrent creations in different orgs: the unique index lets exactly one through.
    const racers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const who = await t.signUp();
        return { who, org: await createOrg(t, who) };
      }),
    );
    const answers = await Promise.all(
      racers.map((r, i) =>
        call(t, r.who.token, 'POST', projectsUrl(r.org.id), { name: `race${i}`, keyPrefix: 'race' }),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const a of answers.filter((x) => x.statusCode === 409))
      expect(a.json().error.hint).toContain('--prefix');
  });

  it('refuses bad names with the rule, and duplicate names in any case with 409', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme');
    for (const name of ['Acme', '1acme', 'acme_api', '', 'a'.repeat(41)]) {
      const res = await call(t, owner.token, 'POST', projectsUrl(org.id), { name });
      expect(res.statusCode, name).toBe(400);
      expect(res.json().error.code).toBe('INVALID_INPUT');
      expect(res.json().error.message).toContain('lowercase letter');
    }
    const unknown = await call(t, owner.token, 'POST', projectsUrl(org.id), { name: 'x', color: 'red' });
    expect(unknown.statusCode).toBe(400);
    const dup = await call(t, owner.token, 'POST', projectsUrl(org.id), { name: 'acme' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toMatchObject({
      code: 'CONFLICT',
      hint: expect.stringContaining('latch link acme'),
    });
  });

  it('lists (newest first, paged, with environment names) and gets by id or name', async () => {
    const owner = await t.signUp();
    const { org, project } = await orgWithProject(t, owner, 'first', ['staging', 'development']);
    t.clock.advance(1000);
    await call(t, owner.token, 'POST', projectsUrl(org.id), { name: 'second' });

    const all = await call(t, owner.token, 'GET', projectsUrl(org.id));
    expect(
      all.json().items.map((p: { name: string; environments: string[] }) => [p.name, p.environments]),
    ).toEqual([
      ['second', []],
      ['first', ['development', 'staging']],
    ]);
    const page1 = await call(t, owner.token, 'GET', `${projectsUrl(org.id)}?limit=1`);
    expect(page1.json().items).toHaveLength(1);
    const page2 = await call(
      t,
      owner.token,
      'GET',
      `${projectsUrl(org.id)}?limit=1&cursor=${page1.json().nextCursor}`,
    );
    expect(page2.json()).toMatchObject({ items: [{ name: 'first' }], nextCursor: null });

    for (const ref of [project.id, 'first', 'FIRST']) {
      const got = await call(t, owner.token, 'GET', `${projectsUrl(org.id)}/${ref}`);
      expect(got.statusCode, ref).toBe(200);
      expect(got.json()).toMatchObject({ id: project.id, environments: ['development', 'staging'] });
    }
    const missing = await call(t, owner.token, 'GET', `${projectsUrl(org.id)}/nope`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.hint).toContain('latch projects list');
  });

  it("answers 404 for another org's project, by id or name, even through your own org", async () => {
    const alice = await t.signUp();
    const bob = await t.signUp();
    const { org: aliceOrg, project } = await orgWithProject(t, alice, 'secret-app');
    const bobOrg = await createOrg(t, bob);
    const viaOwnOrg = await call(t, bob.token, 'GET', `${projectsUrl(bobOrg.id)}/${project.id}`);
    expect(viaOwnOrg.statusCode).toBe(404);
    expect(viaOwnOrg.json().error.code).toBe('NOT_FOUND');
    const viaTheirOrg = await call(t, bob.token, 'GET', `${projectsUrl(aliceOrg.id)}/secret-app`);
    expect(viaTheirOrg.statusCode).toBe(404);
    const bobsList = await call(t, bob.token, 'GET', projectsUrl(bobOrg.id));
    expect(bobsList.json().items).toEqual([]);
  });

  it('lets a viewer list but not create (403 naming projects:write); a developer may create', async () => {
    const owner = await t.signUp();
    const { org } = await orgWithProject(t, owner, 'acme');
    const viewer = await addMember(t, owner.token, org.id, 'viewer');
    const dev = await addMember(t, owner.token, org.id, 'developer');
    expect((await call(t, viewer.token, 'GET', projectsUrl(org.id))).statusCode).toBe(200);
    const denied = await call(t, viewer.token, 'POST', projectsUrl(org.id), { name: 'new' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toContain('projects:write');
    expect((await call(t, dev.token, 'POST', projectsUrl(org.id), { name: 'new' })).statusCode).toBe(201);
  });

  it('exposes resolve() for other services: by id or name in the actor org, else 404 with a hint', async () => {
    const owner = await t.signUp();
    const { org, project } = await orgWithProject(t, owner, 'acme');
    const actor = {
      ...owner.actor,
      org: { id: org.id, name: org.name, personal: false, role: 'owner' as const, permissions: {} as never },
    };
    expect((await t.app.services.projects.resolve(actor, 'ACME')).id).toBe(project.id);
    expect((await t.app.services.projects.resolve(actor, project.id)).name).toBe('acme');
    await expect(t.app.services.projects.resolve(actor, 'other')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      hint: expect.stringContaining('latch projects list'),
    });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/api/v1/orgs/{org}/projects',
      '/api/v1/orgs/{org}/projects/{project}',
      '/api/v1/orgs/{org}/projects/{project}/environments',
      '/api/v1/orgs/{org}/projects/{project}/environments/{env}',
      '/api/v1/orgs/{org}/projects/{project}/environments/{env}/manifest',
    ]) {
      expect(paths).toContain(p);
    }
  });
});
