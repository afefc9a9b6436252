import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const home = tempDir('projects-owner');
const app = tempDir('projects-app');

const run = (args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) =>
  latch(args, { configDir: home.path, cwd: opts.cwd ?? app.path, ...(opts.env ? { env: opts.env } : {}) });

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, home.path, 'pia@example.com');
  expect((await run(['org', 'create', 'Projco', '--use'])).code).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  home.remove();
  app.remove();
});

const CONFIG = `import { defineProject } from '@latchkey/sdk/config';

type Grants = Record<string, string[]>;
const read: Grants = { Project: ['read'], Task: ['read'] };

export default defineProject({
  project: 'acme',
  apiKeys: { scopes: {
    read: { grants: read },
    writer: { grants: { Project: ['read'], Task: ['read', 'write'] } },
  } },
  routes: [
    { prefix: '/v1', auth: 'apiKey:read', rateLimit: '1000/minute', routes: {
      'GET /projects': 'listProjects',
      'POST /projects/:projectId/tasks': { handler: 'createTask', auth: 'apiKey:writer' },
    } },
    { prefix: '/webhooks', auth: 'none', routes: { 'POST /github': 'githubWebhook' } },
  ],
});
`;

describe('projects, environments and declared scopes through the real latch binary', () => {
  it('creates and links a project, manages environments, pushes and shows the manifest', async () => {
    const created = await run(['projects', 'create', 'acme', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toMatchObject({ name: 'acme', keyPrefix: 'acme_' });

    const unlinked = await run(['env', 'list']);
    expect(unlinked.code).toBe(2);
    expect(unlinked.stderr).toContain(
      'No project selected. Pass --project, set LATCH_PROJECT, or run `latch link` in your project folder.',
    );

    const linked = await run(['link', 'acme']);
    expect(linked.code, linked.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(app.path, '.latch', 'project.json'), 'utf8'))).toEqual({
      org: 'Projco',
      project: 'acme',
    });

    const badEnv = await run(['env', 'create', 'Prod']);
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain('development, staging, production, preview');
    for (const name of ['staging', 'production']) expect((await run(['env', 'create', name])).code).toBe(0);

    // From a subfolder, the link is found upwards; the config file too.
    writeFileSync(join(app.path, 'latch.config.ts'), CONFIG);
    const sub = join(app.path, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const ambiguous = await run(['scopes', 'push'], { cwd: sub });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('--env');

    const pushed = await run(['scopes', 'push', '--env', 'staging', '--env', 'production', '--json'], {
      cwd: sub,
    });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(
      pushed
        .json()
        .map((p: { environment: { name: string }; version: number }) => [p.environment.name, p.version]),
    ).toEqual([
      ['staging', 1],
      ['production', 1],
    ]);

    const scopes = await run(['scopes', 'list', '--env', 'staging', '--json']);
    expect(scopes.json().map((s: { name: string }) => s.name)).toEqual(['read', 'writer']);
    const routes = await run(['routes', '--env', 'production']);
    expect(routes.code, routes.stderr).toBe(0);
    expect(routes.stdout).toMatch(
      /POST\s+\/v1\/projects\/:projectId\/tasks\s+createTask\s+apiKey:writer\s+1000\/minute/,
    );

    writeFileSync(
      join(app.path, 'latch.config.ts'),
      CONFIG.replace("auth: 'apiKey:writer'", "auth: 'apiKey:reed'"),
    );
    const invalid = await run(['scopes', 'push', '--env', 'staging']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(
      'routes[0].routes["POST /projects/:projectId/tasks"].auth: scope "reed" is not declared; declared: read, writer',
    );

    const list = await run(['env', 'list', '--json'], { env: { LATCH_PROJECT: 'acme' }, cwd: home.path });
    expect(
      list
        .json()
        .map((e: { name: string; manifest: { version: number } | null }) => [e.name, e.manifest?.version]),
    ).toEqual([
      ['staging', 1],
      ['production', 1],
    ]);

    const noYes = await run(['env', 'delete', 'staging']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const deleted = await run(['env', 'delete', 'staging', '--yes']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await run(['projects', 'list', '--json'])).json()).toEqual([
      expect.objectContaining({ name: 'acme', environments: ['production'], linked: true }),
    ]);
  });
});
