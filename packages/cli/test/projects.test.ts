import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as envDelete } from '../src/commands/env/delete.js';
import { run as envList } from '../src/commands/env/list.js';
import { run as projectsCreate } from '../src/commands/projects/create.js';
import { run as link } from '../src/commands/projects/link.js';
import { run as projectsList } from '../src/commands/projects/list.js';
import { run as scopesList } from '../src/commands/scopes/list.js';
import { run as push } from '../src/commands/scopes/push.js';
import { run as routes } from '../src/commands/scopes/routes.js';
import { ConfigStore } from '../src/lib/config.js';
import { EXIT } from '../src/lib/exit.js';
import { findLink, requireProject, writeLink } from '../src/lib/project.js';
import { environmentOf, failure, type Handler, signedInDir, tempDir, testIo, useFakeApi } from './helpers.js';

const fake = useFakeApi();

async function signedIn(handler: Handler) {
  const api = await fake(handler);
  const dir = signedInDir(api.url);
  return { api, dir };
}

const PROJECT = (name = 'acme') => ({
  id: `prj_${name}`,
  name,
  keyPrefix: `${name}_`,
  environments: ['production', 'development'],
  createdAt: '2026-01-01T00:00:00Z',
});
const ENV = (name: string, manifest: { version: number; pushedAt: string } | null = null) =>
  environmentOf(name, { manifest });
const MANIFEST = {
  project: 'acme',
  apiKeys: {
    scopes: {
      writer: { grants: { Project: ['read'], Task: ['read', 'write'] } },
      read: { grants: { Project: ['read'], Task: ['read'] }, description: 'read-only' },
    },
  },
  routes: [
    {
      prefix: '/v1',
      auth: 'apiKey:read',
      rateLimit: '1000/minute',
      routes: {
        'POST /projects/:projectId/tasks': { handler: 'createTask', auth: 'apiKey:writer' },
        'GET /projects': 'listProjects',
      },
    },
    { prefix: '/webhooks', auth: 'none', routes: { 'POST /github': 'githubWebhook' } },
  ],
};

describe('project resolution', () => {
  it('uses --project, then LATCH_PROJECT, then the linked folder (found from a subfolder)', async () => {
    const folder = tempDir();
    writeLink(folder, { org: 'Acme', project: 'linked' });
    const sub = join(folder, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const config = tempDir();
    new ConfigStore(config).update({ activeOrg: { id: 'org_active', name: 'Active' } });

    const env = { LATCH_PROJECT: 'from-env' };
    const flag = await requireProject(testIo({}, { env, configDir: config }), {
      project: 'from-flag',
      cwd: sub,
    });
    expect(flag).toMatchObject({ project: 'from-flag', source: 'flag', org: { ref: 'org_active' } });
    const fromEnv = await requireProject(testIo({}, { env, configDir: config }), { cwd: sub });
    expect(fromEnv).toMatchObject({ project: 'from-env', source: 'env' });
    const linked = await requireProject(testIo({}, { configDir: config }), { cwd: sub });
    // A linked project carries its org; --org still wins.
    expect(linked).toMatchObject({ project: 'linked', source: 'link', org: { ref: 'Acme' } });
    expect(linked.linked?.dir).toBe(folder);
    const withOrg = await requireProject(testIo({ org: 'Other' }, { configDir: config }), { cwd: sub });
    expect(withOrg.org.ref).toBe('Other');
  });

  it('without any of them fails with exit 2 and says the three ways to pick one', async () => {
    const err = await failure(requireProject(testIo(), { cwd: tempDir() }));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(`${err.message} ${err.hint}`).toBe(
      'No project selected. Pass --project, set LATCH_PROJECT, or run `latch link` in your project folder.',
    );
  });

  it('refuses a broken link file with a clear message', async () => {
    const folder = tempDir();
    mkdirSync(join(folder, '.latch'));
    writeFileSync(join(folder, '.latch', 'project.json'), '{"project": 3}');
    const err = await failure(Promise.resolve().then(() => findLink(folder)));
    expect(err.message).toContain('is not a valid project link');
    expect(err.hint).toContain('latch link');
  });
});

describe('latch link', () => {
  it('checks the project and writes .latch/project.json with org and project', async () => {
    const { api, dir } = await signedIn(() => ({ body: PROJECT() }));
    const folder = tempDir();
    const io = testIo({}, { configDir: dir });
    await link({ project: 'ACME', cwd: folder }, io);
    expect(api.seen[0]).toMatchObject({ method: 'GET', path: '/api/v1/orgs/org_team/projects/ACME' });
    expect(JSON.parse(readFileSync(join(folder, '.latch', 'project.json'), 'utf8'))).toEqual({
      org: 'Acme',
      project: 'acme',
    });
    expect(io.stderrText()).toContain(`Linked ${folder} to project acme in Acme`);
  });

  it('without a name asks on a terminal, and needs the name without one (exit 2)', async () => {
    const { dir } = await signedIn(() => ({
      body: { items: [PROJECT('acme'), PROJECT('shop')], nextCursor: null },
    }));
    const folder = tempDir();
    const noTty = await failure(link({ cwd: folder }, testIo({}, { configDir: dir })));
    expect(noTty.exitCode).toBe(EXIT.usage);
    expect(noTty.hint).toContain('latch link <project>');
    expect(existsSync(join(folder, '.latch'))).toBe(false);

    let offered: string[] = [];
    await link({ cwd: folder }, testIo({}, { configDir: dir, isTTY: true }), {
      pick: async (projects) => {
        offered = projects.map((p) => p.name);
        return projects[1]!;
      },
    });
    expect(offered).toEqual(['acme', 'shop']);
    expect(findLink(folder)?.link).toEqual({ org: 'Acme', project: 'shop' });
  });
});

describe('projects and environments', () => {
  it('projects create sends the name and a normalised prefix; bad names are usage errors', async () => {
    const { api, dir } = await signedIn((req) => ({
      status: 201,
      body: { ...PROJECT(), keyPrefix: (req.json as { keyPrefix: string }).keyPrefix },
    }));
    const io = testIo({ json: true }, { configDir: dir });
    await projectsCreate({ name: 'acme', prefix: 'Acme' }, io);
    expect(api.seen[0]).toMatchObject({ method: 'POST', path: '/api/v1/orgs/org_team/projects' });
    expect(api.seen[0]!.json).toEqual({ name: 'acme', keyPrefix: 'acme_' });
    expect(JSON.parse(io.stdoutText())).toMatchObject({ keyPrefix: 'acme_' });
    const bad = await failure(projectsCreate({ name: 'Acme App' }, testIo({}, { configDir: dir })));
    expect(bad.exitCode).toBe(EXIT.usage);
    expect(api.seen).toHaveLength(1);
  });

  it('projects list marks the linked project; env list orders the standard names first', async () => {
    const { dir } = await signedIn((req) =>
      req.path.endsWith('/environments')
        ? {
            body: {
              items: [
                ENV('pr-7'),
                ENV('production', { version: 2, pushedAt: '2026-02-01T00:00:00Z' }),
                ENV('development'),
              ],
              nextCursor: null,
            },
          }
        : { body: { items: [PROJECT('shop'), PROJECT('acme')], nextCursor: null } },
    );
    const folder = tempDir();
    writeLink(folder, { org: 'acme', project: 'acme' });
    const io = testIo({}, { configDir: dir });
    await projectsList({ cwd: folder }, io);
    const lines = io.stdoutText().trimEnd().split('\n');
    expect(lines[1]).toMatch(/^ {2}shop\s+prj_shop\s+shop_…\s+development, production/);
    expect(lines[2]).toMatch(/^\* acme\s+prj_acme/);

    const envIo = testIo({}, { configDir: dir });
    await envList({ cwd: folder }, envIo);
    const rows = envIo.stdoutText().trimEnd().split('\n').slice(1);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['development', 'production', 'pr-7']);
    expect(rows[1]).toContain('v2 (2026-02-01)');
  });

  it('env delete asks first: without a terminal and --yes it is exit 2 and nothing is sent', async () => {
    const { api, dir } = await signedIn((req) =>
      req.method === 'GET'
        ? { body: { items: [ENV('staging')], nextCursor: null } }
        : { body: { ...ENV('staging'), deletedApiKeys: 2 } },
    );
    const err = await failure(
      envDelete({ name: 'staging', project: 'acme' }, testIo({}, { configDir: dir })),
    );
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.hint).toContain('--yes');
    expect(api.seen.filter((s) => s.method === 'DELETE')).toHaveLength(0);
    const io = testIo({ yes: true }, { configDir: dir });
    await envDelete({ name: 'staging', project: 'acme', force: true }, io);
    expect(api.seen.at(-1)).toMatchObject({
      method: 'DELETE',
      path: '/api/v1/orgs/org_team/projects/acme/environments/staging',
    });
    expect(api.seen.at(-1)!.query.get('force')).toBe('true');
    expect(io.stderrText()).toContain('Deleted environment staging of acme and 2 API keys.');
  });
});

describe('scopes push, scopes list, routes', () => {
  function folderWith(manifest: unknown) {
    const folder = tempDir();
    writeFileSync(join(folder, 'latch.config.json'), JSON.stringify(manifest));
    writeLink(folder, { org: 'Acme', project: 'acme' });
    return folder;
  }

  it('refuses an invalid manifest locally, pointing at the field, before any request', async () => {
    const { api, dir } = await signedIn(() => ({ body: {} }));
    const bad = structuredClone(MANIFEST);
    (bad.routes[0]!.routes as Record<string, unknown>)['GET /projects'] = {
      handler: 'listProjects',
      auth: 'apiKey:reed',
    };
    const err = await failure(push({ cwd: folderWith(bad) }, testIo({}, { configDir: dir })));
    expect(err.exitCode).toBe(EXIT.error);
    expect(err.message).toContain(
      'routes[0].routes["GET /projects"].auth: scope "reed" is not declared; declared: writer, read',
    );
    expect(api.seen).toHaveLength(0);
  });

  it('pushes to the only environment, or needs --env when there are several', async () => {
    let envs = [ENV('staging')];
    const { api, dir } = await signedIn((req) => {
      if (req.method === 'GET') return { body: { items: envs, nextCursor: null } };
      return {
        status: 201,
        body: {
          environment: { id: 'env_x', name: req.path.split('/').at(-2) },
          version: 3,
          pushedAt: '2026-01-01T00:00:00Z',
          pushedBy: 'ana@example.com',
          scopes: ['read', 'writer'],
          routeCount: 3,
          manifest: req.json,
          changed: true,
        },
      };
    });
    const folder = folderWith(MANIFEST);
    const io = testIo({ json: true }, { configDir: dir });
    await push({ cwd: folder }, io);
    const sent = api.seen.find((s) => s.method === 'POST')!;
    expect(sent.path).toBe('/api/v1/orgs/Acme/projects/acme/environments/staging/manifest');
    expect(sent.json).toMatchObject({ project: 'acme', apiKeys: MANIFEST.apiKeys });
    expect(JSON.parse(io.stdoutText())).toEqual([expect.objectContaining({ version: 3, changed: true })]);
    expect(io.stderrText()).toContain('Pushed latch.config.json to staging as v3 (2 scopes, 3 routes)');

    envs = [ENV('staging'), ENV('production')];
    const several = await failure(push({ cwd: folder }, testIo({}, { configDir: dir })));
    expect(several.exitCode).toBe(EXIT.usage);
    expect(several.message).toContain(
      'has 2 environments (staging, production): say which with --env <name>',
    );

    api.seen.length = 0;
    await push({ cwd: folder, env: ['staging', 'production'] }, testIo({}, { configDir: dir }));
    expect(api.seen.filter((s) => s.method === 'POST').map((s) => s.path.split('/').at(-2))).toEqual([
      'staging',
      'production',
    ]);
    const unknown = await failure(push({ cwd: folder, env: ['prod'] }, testIo({}, { configDir: dir })));
    expect(unknown.message).toBe('Project acme has no environment prod.');
  });

  it('refuses to push a manifest for another project than the selected one', async () => {
    const { dir } = await signedIn(() => ({ body: {} }));
    const err = await failure(
      push({ cwd: folderWith(MANIFEST), project: 'shop' }, testIo({}, { configDir: dir })),
    );
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toBe(
      'latch.config.json declares project acme, but the selected project is shop (from --project).',
    );
  });

  it('routes --local prints the local route table; scopes list shows what was pushed', async () => {
    const { dir } = await signedIn((req) =>
      req.path.endsWith('/environments')
        ? { body: { items: [ENV('production')], nextCursor: null } }
        : {
            body: {
              environment: { id: 'env_production', name: 'production' },
              version: 4,
              pushedAt: '2026-03-01T00:00:00Z',
              pushedBy: 'ana@example.com',
              scopes: ['read', 'writer'],
              routeCount: 3,
              manifest: MANIFEST,
            },
          },
    );
    const folder = folderWith(MANIFEST);
    const io = testIo({}, { configDir: dir });
    await routes({ local: true, cwd: folder }, io);
    const lines = io.stdoutText().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^METHOD\s+PATH\s+HANDLER\s+AUTH\s+RATE LIMIT$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
      ['GET', '/v1/projects', 'listProjects', 'apiKey:read', '1000/minute'],
      ['POST', '/v1/projects/:projectId/tasks', 'createTask', 'apiKey:writer', '1000/minute'],
      ['POST', '/webhooks/github', 'githubWebhook', 'none', 'none'],
    ]);
    expect(io.stderrText()).toContain('Routes declared in latch.config.json');

    const scopesIo = testIo({ json: true }, { configDir: dir });
    await scopesList({ cwd: folder }, scopesIo);
    expect(JSON.parse(scopesIo.stdoutText())).toEqual([
      { name: 'read', grants: { Project: ['read'], Task: ['read'] }, description: 'read-only' },
      { name: 'writer', grants: { Project: ['read'], Task: ['read', 'write'] }, description: null },
    ]);
    expect(scopesIo.stderrText()).toContain('acme/production v4');
  });
});
