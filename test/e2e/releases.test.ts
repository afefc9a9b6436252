import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const home = tempDir('releases-owner');
const app = tempDir('releases-app');

const run = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
  latch(args, { configDir: home.path, cwd: app.path, ...opts });
const show = (name: string) => ['node', '-e', `console.log(process.env.${name} ?? '<unset>')`];

const manifest = (rate: string, extraScope = false) => ({
  project: 'shop',
  apiKeys: {
    scopes: {
      read: { grants: { Order: ['read'] } },
      ...(extraScope ? { admin: { grants: { Order: ['delete'] } } } : {}),
    },
  },
  routes: [{ prefix: '/v1', auth: 'apiKey:read', rateLimit: rate, routes: { 'GET /orders': 'listOrders' } }],
});

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, home.path, 'rel@example.com');
  for (const args of [
    ['org', 'create', 'Relco', '--use'],
    ['projects', 'create', 'shop'],
    ['link', 'shop'],
    ['env', 'create', 'production'],
  ]) {
    const res = await run(args);
    expect(res.code, res.stderr).toBe(0);
  }
});
afterAll(async () => {
  await server?.stop();
  for (const dir of [home, app]) dir.remove();
});

describe('releases people can trust, through the real latch binary (issue 15)', () => {
  it('deploy shows the diff, --dry-run makes nothing, --json gives it, nothing changed → Nothing to deploy', async () => {
    writeFileSync(join(app.path, 'latch.config.json'), JSON.stringify(manifest('100/minute')));
    expect((await run(['secrets', 'set', 'API_KEY', 'one', '--env', 'production'])).code).toBe(0);
    expect((await run(['secrets', 'set', 'OLD', 'x', '--env', 'production'])).code).toBe(0);
    const v1 = await run(['deploy', '--env', 'production', '--yes']);
    expect(v1.code, v1.stderr).toBe(0);
    expect(v1.stderr).toContain('+ secret API_KEY (v1)');
    expect(v1.stderr).toContain('+ scope read');

    const again = await run(['deploy', '--env', 'production', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('Nothing to deploy');
    const same = await run(['secrets', 'set', 'API_KEY', 'one', '--env', 'production']);
    expect(same.stderr).toContain('unchanged');
    expect((await run(['deploy', '--env', 'production', '--yes'])).stderr).toContain('Nothing to deploy');
    const listed = await run(['releases', 'list', '--env', 'production', '--json']);
    expect(listed.json()).toHaveLength(1);

    await run(['secrets', 'set', 'API_KEY', 'two', '--env', 'production']);
    await run(['secrets', 'unset', 'OLD', '--env', 'production']);
    writeFileSync(join(app.path, 'latch.config.json'), JSON.stringify(manifest('10/minute', true)));
    const dry = await run(['deploy', '--env', 'production', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('~ secret API_KEY (v1 → v2)');
    expect(dry.stderr).toContain('- secret OLD (was v1)');
    expect(dry.stderr).toContain('+ scope admin');
    expect(dry.stderr).toContain('~ route GET /v1/orders: rateLimit 100/minute → 10/minute');
    expect(dry.stderr).not.toContain('two');
    const dryJson = await run(['deploy', '--env', 'production', '--dry-run', '--json']);
    expect(dryJson.json()).toMatchObject({
      live: { number: 1 },
      next: 2,
      diff: { secrets: { changed: [{ name: 'API_KEY', from: 1, to: 2 }] }, scopes: { added: ['admin'] } },
    });
    expect((await run(['releases', 'list', '--env', 'production', '--json'])).json()).toHaveLength(1);

    // No --yes and no terminal: it shows the diff, then refuses to go ahead unasked.
    const unasked = await run(['deploy', '--env', 'production']);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('~ secret API_KEY (v1 → v2)');

    const v2 = await run(['deploy', '--env', 'production', '--yes', '--json']);
    expect(v2.code, v2.stderr).toBe(0);
    expect(v2.json()).toMatchObject({ number: 2, diff: { secrets: { removed: [{ name: 'OLD' }] } } });
    const empty = await run(['deploy', '--env', 'production', '--yes', '--allow-empty']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stderr).toContain('Released v3');

    const diff = await run(['releases', 'diff', 'v1', 'v2', '--env', 'production']);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('~ secret API_KEY (v1 → v2)');
    expect(diff.stdout).toContain('+ scope admin');
    expect((await run(['releases', 'diff', 'v2', 'v3', '--env', 'production'])).stdout).toContain(
      'no differences',
    );
    const bad = await run(['releases', 'diff', 'v1', 'v9', '--env', 'production']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no release v9');
    expect((await run(['releases', 'diff', 'one', 'v2', '--env', 'production'])).code).toBe(2);
  });

  it("regression: a teammate's routine deploy after a rollback does not re-ship the rolled-back value", async () => {
    await run(['env', 'create', 'prod2']);
    await run(['secrets', 'set', 'WEBHOOK_SECRET', 'good', '--env', 'prod2']);
    expect((await run(['deploy', '--env', 'prod2', '--yes', '--no-manifest'])).code).toBe(0);
    await run(['secrets', 'set', 'WEBHOOK_SECRET', 'broken', '--env', 'prod2']);
    expect((await run(['deploy', '--env', 'prod2', '--yes', '--no-manifest'])).code).toBe(0);
    expect((await run(['run', '--env', 'prod2', '--', ...show('WEBHOOK_SECRET')])).stdout.trim()).toBe(
      'broken',
    );

    const rolled = await run(['releases', 'rollback', '--env', 'prod2', '--to', 'v1', '--yes']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stderr).toContain('Working set restored too (WEBHOOK_SECRET)');
    const list = await run(['secrets', 'list', '--env', 'prod2']);
    expect(list.stdout).not.toContain('not live');
    expect(list.stdout).toContain('All live in release v3');

    // The teammate's routine deploy: nothing to ship, so the rolled-back value stays out.
    const routine = await run(['deploy', '--env', 'prod2', '--yes', '--no-manifest']);
    expect(routine.code, routine.stderr).toBe(0);
    expect(routine.stderr).toContain('Nothing to deploy');
    expect((await run(['run', '--env', 'prod2', '--', ...show('WEBHOOK_SECRET')])).stdout.trim()).toBe(
      'good',
    );
  });

  it('--release-only keeps the working set, and secrets list and deploy say deploying undoes the rollback', async () => {
    await run(['env', 'create', 'prod3']);
    await run(['secrets', 'set', 'TOKEN', 'good', '--env', 'prod3']);
    await run(['deploy', '--env', 'prod3', '--yes', '--no-manifest']);
    await run(['secrets', 'set', 'TOKEN', 'broken', '--env', 'prod3']);
    await run(['deploy', '--env', 'prod3', '--yes', '--no-manifest']);
    await new Promise((r) => setTimeout(r, 20)); // the rollback is made after the last set
    const rolled = await run([
      'releases',
      'rollback',
      '--env',
      'prod3',
      '--to',
      'v1',
      '--yes',
      '--release-only',
    ]);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stderr).toContain('will undo this rollback');
    expect((await run(['run', '--env', 'prod3', '--', ...show('TOKEN')])).stdout.trim()).toBe('good');
    const list = await run(['secrets', 'list', '--env', 'prod3']);
    expect(list.stdout).toContain('deploying will undo the rollback');
    const dry = await run(['deploy', '--env', 'prod3', '--dry-run', '--no-manifest']);
    expect(dry.stderr).toContain('Deploying will undo that rollback');
    expect(dry.stderr).toContain('TOKEN');
  });

  it('secrets diff (names, --reveal audited) and env promote (shows, asks, copies, does not deploy)', async () => {
    await run(['env', 'create', 'stage']);
    await run(['env', 'create', 'live']);
    await run(['secrets', 'set', 'SHARED', 'same', '--env', 'stage']);
    await run(['secrets', 'set', 'SHARED', 'same', '--env', 'live']);
    await run(['secrets', 'set', 'DIFFERS', 'stage-value', '--env', 'stage']);
    await run(['secrets', 'set', 'DIFFERS', 'live-value', '--env', 'live']);
    await run(['secrets', 'set', 'NEW_FLAG', 'on', '--env', 'stage']);
    await run(['deploy', '--env', 'live', '--yes', '--no-manifest']);

    const names = await run(['secrets', 'diff', '--env', 'stage', '--env', 'live']);
    expect(names.code, names.stderr).toBe(0);
    expect(names.stdout).toContain('~ DIFFERS (values differ)');
    expect(names.stdout).toContain('- NEW_FLAG');
    expect(names.stdout).not.toContain('stage-value');
    const revealed = await run(['secrets', 'diff', '--env', 'stage', '--env', 'live', '--reveal', '--json']);
    expect(revealed.json()).toMatchObject({
      revealed: true,
      different: [{ name: 'DIFFERS', from: 'stage-value', to: 'live-value' }],
      onlyInFrom: ['NEW_FLAG'],
      same: ['SHARED'],
    });
    // The reveal is in the access log, naming the secrets but never their values.
    const audit = await run(['audit', 'list', '--access', '--json']);
    expect(audit.stdout).toContain('secrets.diff_revealed');
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toContain('DIFFERS');
    expect(audit.stdout).not.toContain('stage-value');
    expect((await run(['secrets', 'diff', '--env', 'stage'])).code).toBe(2);

    const unasked = await run(['env', 'promote', 'stage', 'live']);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('+ NEW_FLAG');
    expect(unasked.stderr).toContain('~ DIFFERS');
    const promoted = await run(['env', 'promote', 'stage', 'live', '--yes']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stderr).toContain('Not deployed');
    // Copied as new versions, not deployed: what runs is still the old value.
    expect((await run(['run', '--env', 'live', '--', ...show('DIFFERS')])).stdout.trim()).toBe('live-value');
    expect((await run(['run', '--env', 'live', '--latest', '--', ...show('DIFFERS')])).stdout.trim()).toBe(
      'stage-value',
    );
    const again = await run(['env', 'promote', 'stage', 'live', '--yes']);
    expect(again.stderr).toContain('Nothing to promote');
    const dry = await run(['deploy', '--env', 'live', '--dry-run', '--no-manifest']);
    expect(dry.stderr).toContain('+ secret NEW_FLAG (v1)');
    expect(dry.stderr).toContain('~ secret DIFFERS (v1 → v2)');
  });
});
