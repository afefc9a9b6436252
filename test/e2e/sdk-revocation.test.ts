import { generateToken } from '@latchkey/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { type ExampleApp, setUpExampleProject, startExampleApp } from './helpers/example-app.js';
import { latch, stop, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

const owner = tempDir('sdk-owner');
let server: RunningServer;
let app: ExampleApp;
let appToken: string;

const as = (args: string[]) => latch([...args, '--project', 'acme'], { configDir: owner.path });

const call = (path: string, key?: string, init: RequestInit = {}) =>
  fetch(app.url + path, {
    ...init,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...init.headers },
  });

async function createKey(name: string, scope: string): Promise<{ id: string; token: string }> {
  const res = await as(['api-keys', 'create', name, '--scope', scope, '--env', 'production', '--json']);
  expect(res.code, res.stderr).toBe(0);
  return res.json();
}

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, owner.path, 'ada@example.com');
  appToken = await setUpExampleProject(owner.path);
  app = await startExampleApp({
    apiUrl: server.url,
    token: appToken,
    env: { LATCH_OFFLINE_GRACE_MS: '60000' },
  });
  await waitFor(
    'the app to connect to Latchkey',
    async () => (await (await call('/health')).json()).latchkey === 'connected',
  );
});

afterAll(async () => {
  if (app) await stop(app.child);
  await server?.stop();
  owner.remove();
});

describe('the example app with the SDK, against the real server and the real latch binary', () => {
  it('serves a read key, refuses a wrong scope, and refuses a revoked key within a second', async () => {
    const reader = await createKey('Reader', 'read');
    const listed = await call('/v1/projects', reader.token);
    expect(listed.status).toBe(200);
    expect((await listed.json()).items.length).toBeGreaterThan(0);
    const write = await call('/v1/projects/p1/tasks', reader.token, {
      method: 'POST',
      body: '{"title":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(write.status).toBe(403);
    expect((await call('/v1/projects')).status).toBe(401);

    const revoked = await as(['api-keys', 'revoke', reader.id, '-y']);
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - after < 5000)
      status = (await call('/v1/projects', reader.token)).status;
    const elapsed = Date.now() - after;
    expect(status).toBe(401);
    // Measured: time from `latch api-keys revoke` returning to the app's first 401.
    console.log(`revocation reached the app in ${elapsed} ms`);
    expect(elapsed).toBeLessThan(1000);
    expect((await (await call('/v1/projects', reader.token)).json()).error.code).toBe('TOKEN_REVOKED');
  });

  it('a writer creates tasks; last used shows in `latch api-keys list` after the usage batch', async () => {
    const writer = await createKey('Writer', 'writer');
    const made = await call('/v1/projects/p1/tasks', writer.token, {
      method: 'POST',
      body: '{"title":"Ship the SDK"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ title: 'Ship the SDK', createdBy: 'Writer' });
    // The app reports usage every 5 s.
    await waitFor(
      'lastUsedAt to be set',
      async () => {
        const list = await as(['api-keys', 'list', '--json']);
        return list.json().find((k: { id: string }) => k.id === writer.id)?.lastUsedAt;
      },
      15_000,
    );
  });

  it('keeps serving cached keys when the server stops, refuses unknown keys, and says so', async () => {
    const cached = await createKey('Cached', 'read');
    expect((await call('/v1/projects', cached.token)).status).toBe(200);
    await server.stop();
    await waitFor(
      'the app to notice',
      async () => (await (await call('/health')).json()).latchkey === 'offline',
    );
    expect((await call('/v1/projects', cached.token)).status).toBe(200);
    const unknown = await call('/v1/projects', generateToken('acme_'));
    expect(unknown.status).toBe(503);
    expect((await unknown.json()).error.code).toBe('SERVICE_UNAVAILABLE');
    expect(app.logs()).not.toContain(cached.token);
    expect(app.logs()).not.toContain(appToken);
  });
});
