import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const home = tempDir('api-keys-owner');
const app = tempDir('api-keys-app');

const run = (args: string[], env?: Record<string, string>) =>
  latch(args, { configDir: home.path, cwd: app.path, ...(env ? { env } : {}) });

const MANIFEST = {
  project: 'shop',
  apiKeys: {
    scopes: {
      read: { grants: { Order: ['read'] } },
      writer: { grants: { Order: ['read', 'write'] } },
    },
  },
  routes: [],
};

/** The verification API, called as an app's backend would, with the owner's stored PAT. */
async function verify(key: string, extra: Record<string, string> = {}) {
  const { token } = JSON.parse(readFileSync(join(home.path, 'config.json'), 'utf8')) as { token: string };
  const res = await fetch(`${server.url}/api/v1/verify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key, ...extra }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { valid: boolean; code: string; keyId: string | null; metadata: unknown };
}

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, home.path, 'ada@example.com');
  expect((await run(['org', 'create', 'Shopco', '--use'])).code).toBe(0);
  expect((await run(['projects', 'create', 'shop'])).code).toBe(0);
  expect((await run(['link', 'shop'])).code).toBe(0);
  for (const env of ['staging', 'production']) expect((await run(['env', 'create', env])).code).toBe(0);
  writeFileSync(join(app.path, 'latch.config.json'), JSON.stringify(MANIFEST));
  const pushed = await run(['scopes', 'push', '--env', 'production']);
  expect(pushed.code, pushed.stderr).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  home.remove();
  app.remove();
});

describe('latch api-keys through the real binary', () => {
  it('creates, lists, rotates with a grace period, and revokes an app API key', async () => {
    const undeclared = await run([
      'api-keys',
      'create',
      'Warehouse sync',
      '--scope',
      'admin',
      '--env',
      'production',
    ]);
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toContain('Declared scopes: read, writer');
    const notPushed = await run(['api-keys', 'create', 'x', '--scope', 'read', '--env', 'staging']);
    expect(notPushed.code).toBe(1);
    expect(notPushed.stderr).toContain('latch scopes push --env staging');

    const created = await run([
      'api-keys',
      'create',
      'Warehouse sync',
      '--scope',
      'read',
      '--env',
      'production',
      '--expires',
      '90d',
      '--meta',
      'customer=acme',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^shop_[0-9A-Za-z]{49}$/);
    expect(created.stderr).toContain('will not be shown again');
    expect(await verify(token, { environment: 'production', scope: 'read' })).toMatchObject({
      valid: true,
      code: 'VALID',
      metadata: { customer: 'acme' },
    });

    const listed = await run(['api-keys', 'list', '--json']);
    const [key] = listed.json() as { id: string; status: string; scope: string; environment: string }[];
    expect(key).toMatchObject({ scope: 'read', environment: 'production', status: 'active' });
    expect(listed.stdout).not.toContain(token);
    const table = await run(['api-keys', 'list', '--env', 'production', '--scope', 'read']);
    expect(table.stdout).toMatch(/Warehouse sync\s+ak_\w+\s+shop_\w{4}…\s+read\s+production/);

    const rotated = await run(['api-keys', 'rotate', key!.id, '--grace-period', '24h']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).not.toBe(token);
    expect(rotated.stderr).toContain('The old secret keeps working until');
    for (const secret of [token, fresh]) expect((await verify(secret)).keyId).toBe(key!.id);
    const rotating = await run(['api-keys', 'list', '--status', 'rotating', '--json']);
    expect(rotating.json().map((k: { id: string }) => k.id)).toEqual([key!.id]);

    // An app API key is not a platform credential: the CLI says which kind to use instead.
    const wrongKind = await latch(['org', 'list'], {
      configDir: tempDir('api-keys-ci').path,
      env: { LATCH_TOKEN: fresh, LATCH_API_URL: server.url },
    });
    expect(wrongKind.code).toBe(4);
    expect(wrongKind.stderr).toMatch(/app API key/);

    const unconfirmed = await run(['api-keys', 'revoke', key!.id]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    const revoked = await run(['api-keys', 'revoke', key!.id, '-y']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await verify(fresh)).code).toBe('REVOKED');
    expect((await verify(token)).code).toBe('REVOKED');
  });
});
