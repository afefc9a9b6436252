import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const owner = tempDir('key-owner');
const dev = tempDir('key-dev');
/** CI has no config at all: only LATCH_TOKEN and LATCH_API_URL. */
const ci = tempDir('key-ci');

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, owner.path, 'kora@example.com');
  await deviceLogin(server.url, dev.path, 'dev@example.com');
  for (const args of [
    ['org', 'create', 'Keyco', '--use'],
    ['team', 'invite', 'dev@example.com', '--role', 'developer'],
  ]) {
    const res = await latch(args, { configDir: owner.path });
    expect(res.code, res.stderr).toBe(0);
  }
  const [inv] = (await latch(['invites', 'list', '--json'], { configDir: dev.path })).json();
  expect((await latch(['invites', 'accept', inv.id], { configDir: dev.path })).code).toBe(0);
  expect((await latch(['org', 'use', 'keyco'], { configDir: dev.path })).code).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  for (const dir of [owner, dev, ci]) dir.remove();
});

const asCi = (token: string, args: string[]) =>
  latch(args, { configDir: ci.path, env: { LATCH_TOKEN: token, LATCH_API_URL: server.url } });

describe('platform keys and service accounts through the real latch binary', () => {
  it('creates a key shown once; LATCH_TOKEN=<key> works with no config; rotate and revoke', async () => {
    const created = await latch(
      ['keys', 'create', 'GitHub Actions', '-s', 'platform_keys:read,deploy:write', '--expires', '90d'],
      {
        configDir: owner.path,
      },
    );
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^lk_key_\w+$/);
    expect(created.stderr).toContain('will not be shown again');

    const listed = await asCi(token, ['keys', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const [key] = listed.json();
    expect(key).toMatchObject({ name: 'GitHub Actions', status: 'active', createdBy: 'kora@example.com' });
    expect(listed.stdout).not.toContain(token);

    const noYes = await latch(['keys', 'revoke', key.id], { configDir: owner.path });
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');

    const rotated = await latch(['keys', 'rotate', key.id, '--grace-period', '1h'], {
      configDir: owner.path,
    });
    expect(rotated.code, rotated.stderr).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).not.toBe(token);
    for (const t of [token, fresh]) expect((await asCi(t, ['keys', 'list'])).code).toBe(0);

    expect((await latch(['keys', 'revoke', key.id, '-y'], { configDir: owner.path })).code).toBe(0);
    const refused = await asCi(fresh, ['keys', 'list']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('LATCH_TOKEN');
  });

  it("a developer's key is suspended when they are removed; a service account key outlives people", async () => {
    const devKey = await latch(['keys', 'create', 'dev-ci', '-s', 'platform_keys:read'], {
      configDir: dev.path,
    });
    expect(devKey.code, devKey.stderr).toBe(0);

    const sa = await latch(['service-accounts', 'create', 'deploy-bot', '--role', 'developer'], {
      configDir: owner.path,
    });
    expect(sa.code, sa.stderr).toBe(0);
    const saKey = await latch(['service-accounts', 'keys', 'create', 'deploy-bot', '--expires', '30d'], {
      configDir: owner.path,
    });
    expect(saKey.code, saKey.stderr).toBe(0);
    expect(saKey.stdout.trim()).toMatch(/^lk_sa_/);

    const removed = await latch(['team', 'remove', 'dev@example.com', '--yes'], { configDir: owner.path });
    expect(removed.code, removed.stderr).toBe(0);
    const suspended = await asCi(devKey.stdout.trim(), ['keys', 'list']);
    expect(suspended.code).toBe(1);
    expect(suspended.stderr).toContain('suspended');
    expect(suspended.stderr).toContain('service account');

    const members = await asCi(saKey.stdout.trim(), ['team', 'members', '--json']);
    expect(members.code, members.stderr).toBe(0);
    const keys = await asCi(saKey.stdout.trim(), ['keys', 'list', '--json']);
    expect(keys.json().find((k: { name: string }) => k.name === 'dev-ci')).toMatchObject({
      status: 'suspended',
    });

    const del = await latch(['service-accounts', 'delete', 'DEPLOY-BOT', '--yes'], { configDir: owner.path });
    expect(del.code, del.stderr).toBe(0);
    expect((await asCi(saKey.stdout.trim(), ['team', 'members'])).code).toBe(4);
  });
});
