import { createHash } from 'node:crypto';
import type { ManifestInput } from '@latchkey/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  badRequest,
  created,
  createVerifier,
  type MountOptions,
  noContent,
  ok,
  type RouteRequest,
  type Verifier,
} from '../src/index.js';
import { FRAMEWORKS, type RunningApp, startApp } from './helpers/apps.js';
import { useLatchkey } from './helpers/latchkey.js';

const lk = useLatchkey();

const manifest = (): ManifestInput => ({
  project: lk.project.name,
  apiKeys: {
    scopes: {
      read: { grants: { Project: ['read'], Task: ['read'] } },
      writer: { grants: { Project: ['read'], Task: ['read', 'write'] } },
      billing: { grants: { Invoice: ['read'] } },
    },
  },
  routes: [
    {
      prefix: '/v1',
      auth: 'apiKey:read',
      rateLimit: '1000/minute',
      routes: {
        'GET /projects': 'listProjects',
        'GET /projects/:projectId': 'getProject',
        'POST /projects/:projectId/tasks': { handler: 'createTask', auth: 'apiKey:writer' },
        'DELETE /projects/:projectId/tasks/:taskId': {
          handler: 'deleteTask',
          auth: 'apiKey:writer',
          rateLimit: '2/minute',
        },
      },
    },
    { prefix: '/app', auth: 'session', routes: { 'GET /me/export': 'exportMyData' } },
    { prefix: '/webhooks', auth: 'none', routes: { 'POST /github': 'githubWebhook' } },
  ],
});

let handlerCalls = 0;
const handlers: MountOptions['handlers'] = {
  listProjects: (req) => ok({ auth: req.auth, canWrite: req.auth.can('write', 'Task'), query: req.query }),
  getProject: (req: RouteRequest) => ok({ id: req.params.projectId }),
  createTask: (req) => {
    handlerCalls++;
    const body = req.body<{ title?: string }>();
    if (!body?.title) return badRequest('title is required');
    return created(
      { title: body.title, project: req.params.projectId, canWrite: req.auth.can('write', 'Task') },
      { location: `/v1/projects/${req.params.projectId}/tasks/1` },
    );
  },
  deleteTask: () => noContent(),
  exportMyData: (req) => ok({ user: req.auth.kind === 'session' ? req.auth.user : null }),
  githubWebhook: (req) =>
    ok({ sha256: createHash('sha256').update(req.rawBody).digest('hex'), length: req.rawBody.length }),
};

let verifier: Verifier;
let read: { id: string; token: string };
let writer: { id: string; token: string };

beforeAll(async () => {
  verifier = createVerifier(lk.verifierOptions());
  await verifier.ready();
  read = await lk.project.createKey({ scope: 'read', name: 'Reader', metadata: { customer: 'acme' } });
  writer = await lk.project.createKey({ scope: 'writer' });
});
afterAll(async () => {
  await verifier?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(FRAMEWORKS)('mountRoutes on %s (real loopback server)', (framework) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(framework, manifest(), {
      handlers,
      verifier,
      session: ({ headers }) =>
        headers['x-user'] ? { id: headers['x-user'], grants: { Export: ['read'] } } : null,
      bodyLimit: 10_000,
    });
  });
  afterAll(async () => {
    await app?.close();
  });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(app.url + path, { headers });
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(app.url + path, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('serves an apiKey route with req.auth from the key and RateLimit headers', async () => {
    const res = await get('/v1/projects?tag=a&tag=b&x=1', bearer(read.token));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.auth).toMatchObject({
      kind: 'apiKey',
      keyId: read.id,
      name: 'Reader',
      scope: 'read',
      environment: 'production',
      metadata: { customer: 'acme' },
      grants: { Project: ['read'], Task: ['read'] },
    });
    expect(body.canWrite).toBe(false);
    expect(body.query).toEqual({ tag: ['a', 'b'], x: '1' });
    expect(res.headers.get('ratelimit-limit')).toBe('1000');
    expect(Number(res.headers.get('ratelimit-remaining'))).toBeLessThan(1000);
    expect(res.headers.get('ratelimit-policy')).toBe('1000;w=60');
  });

  it('decodes path parameters and also accepts X-Api-Key', async () => {
    const res = await get('/v1/projects/a%20b', { 'x-api-key': read.token });
    expect(await res.json()).toEqual({ id: 'a b' });
  });

  it('401 without a key, with a bad key, with a platform token; WWW-Authenticate names the realm', async () => {
    const none = await get('/v1/projects');
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toBe(`Bearer realm="${lk.project.name}"`);

    const bad = await get('/v1/projects', bearer(`${read.token.slice(0, -2)}zz`));
    expect(bad.status).toBe(401);
    expect((await bad.json()).error.code).toBe('INVALID_TOKEN');
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const pat = await get('/v1/projects', bearer(lk.project.owner.token));
    expect(pat.status).toBe(401);
    const body = await pat.json();
    expect(body.error.code).toBe('WRONG_TOKEN_KIND');
    expect(JSON.stringify(body)).not.toContain(lk.project.owner.token);
  });

  it('403 for a key whose scope does not cover the route; a covering key passes', async () => {
    const denied = await post('/v1/projects/p1/tasks', '{"title":"x"}', bearer(read.token));
    expect(denied.status).toBe(403);
    expect((await denied.json()).error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="writer"');

    const made = await post('/v1/projects/p1/tasks', '{"title":"Ship it"}', bearer(writer.token));
    expect(made.status).toBe(201);
    expect(made.headers.get('location')).toBe('/v1/projects/p1/tasks/1');
    expect(await made.json()).toEqual({ title: 'Ship it', project: 'p1', canWrite: true });
    // writer's grants include all of read's: it may call read routes too.
    expect((await get('/v1/projects', bearer(writer.token))).status).toBe(200);
  });

  it('malformed JSON is a 400 before the handler runs', async () => {
    const before = handlerCalls;
    const res = await post('/v1/projects/p1/tasks', '{"title": ', bearer(writer.token));
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('INVALID_JSON');
    expect(handlerCalls).toBe(before);
  });

  it('refuses bodies over the limit with 413', async () => {
    const res = await post(
      '/v1/projects/p1/tasks',
      JSON.stringify({ title: 'x'.repeat(20_000) }),
      bearer(writer.token),
    );
    expect(res.status).toBe(413);
  });

  it('rate limits per key: 429 with Retry-After once the route budget is spent', async () => {
    const del = () =>
      fetch(`${app.url}/v1/projects/p1/tasks/9`, { method: 'DELETE', headers: bearer(writer.token) });
    expect((await del()).status).toBe(204);
    const second = await del();
    expect(second.status).toBe(204);
    expect(second.headers.get('ratelimit-remaining')).toBe('0');
    const third = await del();
    expect(third.status).toBe(429);
    expect((await third.json()).error.code).toBe('RATE_LIMITED');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('session routes use the resolver', async () => {
    expect((await get('/app/me/export')).status).toBe(401);
    const res = await get('/app/me/export', { 'x-user': 'usr_1' });
    expect(await res.json()).toEqual({ user: { id: 'usr_1', grants: { Export: ['read'] } } });
  });

  it('none routes get the exact raw body', async () => {
    const payload = '{"zen":  "Keep it logically awesome.",\n "n": 1}';
    const res = await post('/webhooks/github', payload);
    expect(await res.json()).toEqual({
      sha256: createHash('sha256').update(payload).digest('hex'),
      length: Buffer.byteLength(payload),
    });
  });

  it('leaves requests outside the table to the app', async () => {
    expect(await (await get('/health')).json()).toMatchObject({ own: expect.any(String) });
    const own = await post('/own-json', '{"a":1}');
    expect(await own.json()).toEqual({ parsed: { a: 1 } });
    expect((await get('/v2/projects')).status).toBe(404);
  });
});
