import { describe, expect, it } from 'vitest';
import { accessRows } from '../access-log/fixtures.js';
import { useTestApp } from '../helpers/app.js';
import { createKey } from '../keys/fixtures.js';
import { addMember, auditRows, call, envsUrl, exampleManifest, secretsSetup } from './fixtures.js';

const t = useTestApp();

describe('releases', () => {
  it('a change waits for the next deploy; releases pin versions; rollback copies an old release', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['staging']);
    await s.set('GREETING', 'hello');
    expect((await s.released()).statusCode).toBe(404);
    expect((await s.released()).json().error.hint).toContain('latch deploy --env staging');

    const v1 = await s.deploy('staging', { message: 'first' });
    expect(v1).toMatchObject({
      number: 1,
      variables: 1,
      current: true,
      message: 'first',
      environmentCreated: false,
      changes: { added: ['GREETING'], changed: [], removed: [] },
    });
    expect((await s.released()).json()).toMatchObject({
      source: 'release',
      release: { number: 1 },
      values: { GREETING: 'hello' },
    });

    await s.set('GREETING', 'bonjour');
    await s.set('EXTRA', 'new');
    const listed = (await call(t, owner.token, 'GET', s.base)).json();
    expect(listed.release).toMatchObject({ number: 1 });
    expect(listed.items.map((i: { name: string; status: string }) => [i.name, i.status])).toEqual([
      ['EXTRA', 'pending'],
      ['GREETING', 'pending'],
    ]);
    expect(listed.items[1]).toMatchObject({ version: 2, releasedVersion: 1 });
    // What runs does not change until the next deploy; --latest shows what it would pin.
    expect((await s.released()).json().values).toEqual({ GREETING: 'hello' });
    expect((await s.released('staging', true)).json()).toMatchObject({
      source: 'latest',
      values: { GREETING: 'bonjour', EXTRA: 'new' },
    });

    const v2 = await s.deploy('staging');
    expect(v2).toMatchObject({
      number: 2,
      changes: { added: ['EXTRA'], changed: ['GREETING'], removed: [] },
    });
    expect((await s.released()).json().values).toEqual({ GREETING: 'bonjour', EXTRA: 'new' });
    await call(t, owner.token, 'DELETE', `${s.base}/EXTRA`);
    const removal = (await call(t, owner.token, 'GET', s.base)).json().items;
    expect(removal.find((i: { name: string }) => i.name === 'EXTRA')).toMatchObject({
      status: 'pending_removal',
      masked: null,
    });
    const v3 = await s.deploy('staging');
    expect(v3.changes).toEqual({ added: [], changed: [], removed: ['EXTRA'] });
    expect(
      (await call(t, owner.token, 'GET', s.base)).json().items.map((i: { status: string }) => i.status),
    ).toEqual(['live']);

    const rollback = await call(
      t,
      owner.token,
      'POST',
      `${envsUrl(s.org.id, 'acme')}/staging/releases/v1/rollback`,
    );
    expect(rollback.statusCode, rollback.body).toBe(201);
    expect(rollback.json()).toMatchObject({
      number: 4,
      rollbackOf: 1,
      message: 'Rollback to v1',
      changes: { changed: ['GREETING'] },
    });
    expect((await s.released()).json().values).toEqual({ GREETING: 'hello' });
    const again = await call(
      t,
      owner.token,
      'POST',
      `${envsUrl(s.org.id, 'acme')}/staging/releases/4/rollback`,
    );
    expect(again.statusCode).toBe(409);
    const none = await call(
      t,
      owner.token,
      'POST',
      `${envsUrl(s.org.id, 'acme')}/staging/releases/v9/rollback`,
    );
    expect(none.statusCode).toBe(404);
    const bad = await call(
      t,
      owner.token,
      'POST',
      `${envsUrl(s.org.id, 'acme')}/staging/releases/latest/rollback`,
    );
    expect(bad.statusCode).toBe(400);

    const list = await call(
      t,
      owner.token,
      'GET',
      `/api/v1/orgs/${s.org.id}/projects/acme/releases?env=staging`,
    );
    expect(list.statusCode, list.body).toBe(200);
    expect(
      list
        .json()
        .items.map((r: { number: number; current: boolean }) => [r.number, r.current])
        .sort(),
    ).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    const actions = (await auditRows(t, s.org.id)).map((r) => r.action);
    expect(actions.filter((a) => a === 'release.created')).toHaveLength(3);
    expect(actions).toContain('release.rolled_back');
    expect((await accessRows(t, s.org.id)).map((r) => r.action)).toContain('secrets.released');
  });

  it('the first deploy creates the environment and pushes the manifest; developers deploy, only admins roll back', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, []);
    const dev = await addMember(t, owner.token, s.org.id, 'developer');
    const bad = await call(t, dev.token, 'POST', `${envsUrl(s.org.id, 'acme')}/Preview_1/deploy`, {});
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('development, staging, production, preview');

    const first = await s.deploy('preview', { manifest: exampleManifest('acme') }, dev.token);
    expect(first).toMatchObject({
      number: 1,
      environmentCreated: true,
      manifestChanged: true,
      manifestVersion: 1,
      variables: 0,
    });
    const envs = (await call(t, owner.token, 'GET', envsUrl(s.org.id, 'acme'))).json().items;
    expect(envs).toEqual([
      expect.objectContaining({ name: 'preview', manifest: expect.objectContaining({ version: 1 }) }),
    ]);
    const same = await s.deploy('preview', { manifest: exampleManifest('acme') }, dev.token);
    expect(same).toMatchObject({
      number: 2,
      environmentCreated: false,
      manifestChanged: false,
      manifestVersion: 1,
    });
    const wrong = await call(t, dev.token, 'POST', `${envsUrl(s.org.id, 'acme')}/preview/deploy`, {
      manifest: exampleManifest('other'),
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.message).toContain('another project');
    // The refused deploy left nothing behind: no release 3.
    expect((await s.deploy('preview', {}, dev.token)).number).toBe(3);

    const denied = await call(
      t,
      dev.token,
      'POST',
      `${envsUrl(s.org.id, 'acme')}/preview/releases/v1/rollback`,
    );
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.message).toContain('deploy:manage');
    const actions = (await auditRows(t, s.org.id)).map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining(['environment.created', 'manifest.pushed', 'release.created']),
    );
  });

  it('rolling back restores the manifest the old release pinned', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['production']);
    await s.deploy('production', { manifest: exampleManifest('acme') });
    const changed = exampleManifest('acme');
    delete (changed.apiKeys.scopes as Record<string, unknown>).writer;
    changed.routes = changed.routes.slice(1);
    expect(await s.deploy('production', { manifest: changed })).toMatchObject({
      manifestVersion: 2,
      manifestChanged: true,
    });
    const back = await call(
      t,
      owner.token,
      'POST',
      `${envsUrl(s.org.id, 'acme')}/production/releases/v1/rollback`,
    );
    expect(back.json()).toMatchObject({ number: 3, manifestVersion: 3, manifestChanged: true });
    const manifest = await call(t, owner.token, 'GET', `${envsUrl(s.org.id, 'acme')}/production/manifest`);
    expect(manifest.json().scopes).toEqual(['read', 'writer']);
  });

  it('a CI platform key with deploy:write deploys; without secrets:read it cannot read values', async () => {
    const owner = await t.signUp();
    const s = await secretsSetup(t, owner, ['staging']);
    await s.set('TOKEN_FOR_APP', 'abc');
    const key = await createKey(t, owner.token, s.org.id, { name: 'ci', scopes: ['deploy:write'] });
    const deployed = await s.deploy('staging', { message: 'from CI' }, key.token);
    expect(deployed).toMatchObject({ number: 1, createdBy: 'ci' });
    const read = await s.released('staging', false, key.token);
    expect(read.statusCode).toBe(403);
    expect(read.json().error.message).toContain('secrets:read');
    const reader = await createKey(t, owner.token, s.org.id, { name: 'app', scopes: ['secrets:read'] });
    expect((await s.released('staging', false, reader.token)).json().values).toEqual({
      TOKEN_FOR_APP: 'abc',
    });
  });

  it("answers 404 for another org's project and environments", async () => {
    const alice = await t.signUp();
    const bob = await t.signUp();
    const a = await secretsSetup(t, alice, ['production']);
    await a.set('SECRET_A', 'alice-only');
    const b = await secretsSetup(t, bob, ['production']);
    for (const url of [
      `/api/v1/orgs/${b.org.id}/projects/${a.project.id}/environments/production/secrets`,
      `/api/v1/orgs/${b.org.id}/projects/${a.project.id}/environments/production/secrets/SECRET_A`,
      `/api/v1/orgs/${a.org.id}/projects/acme/environments/production/secrets/SECRET_A`,
    ]) {
      expect((await call(t, bob.token, 'GET', url)).statusCode, url).toBe(404);
    }
    expect((await b.set('SECRET_A', 'x')).statusCode).toBe(200);
    expect((await call(t, alice.token, 'GET', `${a.base}/SECRET_A`)).json().value).toBe('alice-only');
  });

  it('secrets and release routes are in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const base = '/api/v1/orgs/{org}/projects/{project}/environments/{env}';
    for (const [path, method] of [
      [`${base}/secrets`, 'get'],
      [`${base}/secrets/{name}`, 'put'],
      [`${base}/secrets/{name}/history`, 'get'],
      [`${base}/secrets/import`, 'post'],
      [`${base}/released-secrets`, 'get'],
      [`${base}/deploy`, 'post'],
      [`${base}/releases/{release}/rollback`, 'post'],
      ['/api/v1/orgs/{org}/projects/{project}/releases', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});
