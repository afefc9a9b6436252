import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import {
  EXAMPLE_CONFIG as config,
  type ExampleApp,
  setUpExampleProject,
  startExampleApp,
} from './helpers/example-app.js';
import { latch, stop, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

const owner = tempDir('webhook-owner');
let server: RunningServer;
let app: ExampleApp | undefined;
let appToken: string;

const as = (args: string[], input?: string) =>
  latch([...args, '--project', 'acme'], { configDir: owner.path, ...(input === undefined ? {} : { input }) });
const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
const sign = (key: string) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
const deliver = (signature: string) =>
  fetch(`${app!.url}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-hub-signature-256': signature,
    },
    body,
  });

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, owner.path, 'lin@example.com');
  appToken = await setUpExampleProject(owner.path, {
    org: 'Hooks Inc',
    pushScopes: false,
    keyScopes: 'api_keys:read,logs:write,secrets:read',
  });
});

afterAll(async () => {
  if (app) await stop(app.child);
  await server?.stop();
  owner.remove();
});

describe('a webhook secret named in the manifest, verified by the example app from its release', () => {
  it('deploy --dry-run says the deploy would be refused for a manifest secret the environment lacks', async () => {
    const dry = await as(['deploy', '--env', 'production', '--config', config, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(
      'The deploy would be refused (INVALID_INPUT): The access manifest references a secret that production does not have: GITHUB_WEBHOOK_SECRET.',
    );
    expect(dry.stderr).toContain('latch secrets set GITHUB_WEBHOOK_SECRET --env production');
    expect(dry.stderr).toContain('Dry run: no release was made.');
    const json = await as(['deploy', '--env', 'production', '--config', config, '--dry-run', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json().refusals).toEqual([
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('GITHUB_WEBHOOK_SECRET'),
      }),
    ]);
  });

  it('deploy refuses a manifest whose secret the environment lacks, and changes nothing', async () => {
    const refused = await as(['deploy', '--env', 'production', '--config', config, '--yes']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('GITHUB_WEBHOOK_SECRET');
    expect(refused.stderr).toContain('latch secrets set GITHUB_WEBHOOK_SECRET --env production');
    const json = await as(['deploy', '--env', 'production', '--config', config, '--yes', '--json']);
    const last = json.stderr.trim().split('\n').at(-1) as string;
    expect(JSON.parse(last).error).toMatchObject({ code: 'INVALID_INPUT', hint: expect.any(String) });
    const releases = await as(['releases', 'list', '--env', 'production', '--json']);
    expect(releases.json()).toEqual([]);
  });

  it('a signed delivery passes, a bad one gets 401; after a rotation, a deploy and SIGHUP only the new secret works', async () => {
    expect(
      (await as(['secrets', 'set', 'GITHUB_WEBHOOK_SECRET', '-', '--env', 'production'], 'first-hook-secret'))
        .code,
    ).toBe(0);
    const v1 = await as(['deploy', '--env', 'production', '--config', config, '--yes']);
    expect(v1.code, v1.stderr).toBe(0);
    // As its README runs it, loading its release's secrets.
    app = await startExampleApp({ apiUrl: server.url, token: appToken, env: { LATCH_LOAD_SECRETS: '1' } });

    const good = await deliver(sign('first-hook-secret'));
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ received: 'ping' });
    const bad = await deliver(sign('not-the-secret'));
    expect(bad.status).toBe(401);
    const refusal = (await bad.json()) as { error: { code: string; hint: string } };
    expect(refusal.error.code).toBe('UNAUTHENTICATED');
    expect(refusal.error.hint).toContain('X-Hub-Signature-256');
    expect((await deliver('sha256=')).status).toBe(401);

    // Rotated but not deployed: the release (and so the app, even after a reload) keeps the old one.
    expect(
      (
        await as(
          ['secrets', 'set', 'GITHUB_WEBHOOK_SECRET', '-', '--env', 'production'],
          'second-hook-secret',
        )
      ).code,
    ).toBe(0);
    app.child.kill('SIGHUP');
    await waitFor('the reload', () => app!.logs().split('Reloaded the released secrets').length === 2);
    expect((await deliver(sign('first-hook-secret'))).status).toBe(200);
    expect((await deliver(sign('second-hook-secret'))).status).toBe(401);

    const v2 = await as(['deploy', '--env', 'production', '--config', config, '--yes']);
    expect(v2.code, v2.stderr).toBe(0);
    app.child.kill('SIGHUP');
    await waitFor('the second reload', () => app!.logs().split('Reloaded the released secrets').length === 3);
    expect((await deliver(sign('second-hook-secret'))).status).toBe(200);
    expect((await deliver(sign('first-hook-secret'))).status).toBe(401);
    expect(app.logs()).not.toContain('hook-secret');
  });
});
