import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeReferences } from '@latchkey/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { latch, spawnLatch, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const home = tempDir('secrets-owner');
const app = tempDir('secrets-app');
const ci = tempDir('secrets-ci');

const run = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
  latch(args, { configDir: home.path, cwd: app.path, ...opts });
/** Prints one variable of the child's environment (or <unset>). */
const show = (name: string) => ['node', '-e', `console.log(process.env.${name} ?? '<unset>')`];

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, home.path, 'sasha@example.com');
  for (const args of [
    ['org', 'create', 'Secretco', '--use'],
    ['projects', 'create', 'acme'],
    ['link', 'acme'],
    ['env', 'create', 'staging'],
  ]) {
    const res = await run(args);
    expect(res.code, res.stderr).toBe(0);
  }
});
afterAll(async () => {
  await server?.stop();
  for (const dir of [home, app, ci]) dir.remove();
});

describe('secrets, releases and runs through the real latch binary', () => {
  it('set → pending → deploy → run sees it → set again → run still sees the old value → deploy → new value', async () => {
    expect((await run(['secrets', 'set', 'GREETING', 'hello', '--env', 'staging'])).code).toBe(0);
    const piped = await run(['secrets', 'set', 'API_KEY', '-', '--env', 'staging'], {
      input: 'sk_from_stdin\n',
    });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toContain('next `latch deploy --env staging`');

    const listed = await run(['secrets', 'list', '--env', 'staging', '--json']);
    expect(listed.json().map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['API_KEY', 'pending'],
      ['GREETING', 'pending'],
    ]);
    const table = await run(['secrets', 'list', '--env', 'staging']);
    expect(table.stdout).toContain('pending deploy');
    expect(table.stdout).not.toContain('hello');

    const noYes = await run(['deploy', '--env', 'staging']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const v1 = await run(['deploy', '--env', 'staging', '--yes', '-m', 'first']);
    expect(v1.code, v1.stderr).toBe(0);
    expect(v1.stderr).toContain('Released v1 to acme/staging: 2 secrets');

    const first = await run(['run', '--env', 'staging', '--', ...show('GREETING')]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('hello');
    expect((await run(['run', '--env', 'staging', '--', ...show('API_KEY')])).stdout.trim()).toBe(
      'sk_from_stdin',
    );

    expect((await run(['secrets', 'set', 'GREETING', 'bonjour', '--env', 'staging'])).code).toBe(0);
    expect((await run(['run', '--env', 'staging', '--', ...show('GREETING')])).stdout.trim()).toBe('hello');
    expect(
      (await run(['run', '--env', 'staging', '--latest', '--', ...show('GREETING')])).stdout.trim(),
    ).toBe('bonjour');
    expect((await run(['secrets', 'get', 'GREETING', '--env', 'staging'])).stdout).toBe('bonjour\n');

    expect((await run(['deploy', '--env', 'staging', '--yes'])).code).toBe(0);
    expect((await run(['run', '--env', 'staging', '--', ...show('GREETING')])).stdout.trim()).toBe('bonjour');

    const releases = await run(['releases', 'list', '--env', 'staging', '--json']);
    expect(releases.json().map((r: { number: number; current: boolean }) => [r.number, r.current])).toEqual([
      [2, true],
      [1, false],
    ]);
    const back = await run(['releases', 'rollback', '--env', 'staging', '--to', 'v1', '--yes']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stderr).toContain("Released v3 to acme/staging with v1's contents");
    expect((await run(['run', '--env', 'staging', '--', ...show('GREETING')])).stdout.trim()).toBe('hello');

    const history = await run(['secrets', 'history', 'GREETING', '--env', 'staging', '--json']);
    expect(
      history.json().map((v: { version: number; releases: number[] }) => [v.version, v.releases]),
    ).toEqual([
      // The release rollback restored the working set too: v3 holds v1's value (issue 15).
      [3, [3]],
      [2, [2]],
      [1, [1]],
    ]);
    expect(history.stdout).not.toContain('bonjour');
    const rolled = await run(['secrets', 'rollback', 'GREETING', '--version', '1', '--env', 'staging']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect((await run(['secrets', 'get', 'GREETING', '--env', 'staging'])).stdout).toBe('hello\n');
    const revealed = await run(['secrets', 'history', 'GREETING', '--reveal', '--env', 'staging']);
    expect(revealed.stdout).toContain('bonjour');
    expect(revealed.stderr).toContain('audit log');

    const bad = await run(['secrets', 'set', 'lower_case', 'x', '--env', 'staging']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('UPPER_SNAKE_CASE');
  });

  it('import and export round-trip, with line numbers for bad lines', async () => {
    const tricky = {
      QUOTED: 'say "hi"',
      MULTILINE: '-----BEGIN KEY-----\nabc\n-----END KEY-----',
      HASHED: 'a #not a comment',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} must survive the round trip
      DOLLAR: 'price $5 and ${HOME}',
      SPACES: '  padded  ',
      EMPTY: '',
    };
    const source = join(app.path, 'source.env');
    writeFileSync(
      source,
      `# from a teammate\n${Object.entries(tricky)
        // A literal `${` is written `$${` in what is imported, since `${NAME}` references a secret.
        .map(([k, v]) => `${k}=${JSON.stringify(escapeReferences(v))}`)
        .join('\n')}\n`,
    );
    const imported = await run(['secrets', 'import', source, '--env', 'staging', '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.json().added.sort()).toEqual(Object.keys(tricky).sort());
    expect((await run(['deploy', '--env', 'staging', '--yes'])).code).toBe(0);

    const exported = await run(['secrets', 'export', '--env', 'staging']);
    expect(exported.code, exported.stderr).toBe(0);
    const file = join(app.path, 'exported.env');
    writeFileSync(file, exported.stdout);
    const again = await run(['secrets', 'import', file, '--env', 'staging', '--json']);
    expect(again.json()).toMatchObject({ added: [], changed: [] });
    expect(again.json().unchanged.length).toBeGreaterThanOrEqual(Object.keys(tricky).length);

    expect((await run(['env', 'create', 'production'])).code).toBe(0);
    expect((await run(['secrets', 'import', file, '--env', 'production'])).code).toBe(0);
    const stagingJson = (await run(['secrets', 'export', '--format', 'json', '--env', 'staging'])).json();
    const prodJson = (
      await run(['secrets', 'export', '--format', 'json', '--latest', '--env', 'production'])
    ).json();
    expect(prodJson).toEqual(stagingJson);
    expect(prodJson).toMatchObject(tricky);

    writeFileSync(join(app.path, 'bad.env'), 'GOOD=1\nbad-name=2\n\nNOEQUALS\n');
    const refused = await run(['secrets', 'import', 'bad.env', '--env', 'production']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('line 2: "bad-name" is not a valid secret name');
    expect(refused.stderr).toContain('line 4: expected NAME=value');
  });

  it('deploys from CI with LATCH_TOKEN=<platform key with deploy:write>, creating the environment', async () => {
    const key = await run(['keys', 'create', 'GitHub Actions', '-s', 'deploy:write,secrets:read']);
    expect(key.code, key.stderr).toBe(0);
    const env = { LATCH_TOKEN: key.stdout.trim(), LATCH_API_URL: server.url, LATCH_PROJECT: 'acme' };
    const asCi = (args: string[]) => latch(args, { configDir: ci.path, env });
    const noYes = await asCi(['deploy', '--env', 'preview']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('--yes');
    const deployed = await asCi(['deploy', '--env', 'preview', '--yes', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.json()).toMatchObject({
      number: 1,
      environmentCreated: true,
      createdBy: 'GitHub Actions',
    });
    expect(deployed.stderr).toContain('Created environment preview');
    const ran = await asCi(['run', '--env', 'staging', '--', ...show('GREETING')]);
    expect(ran.stdout.trim()).toBe('hello');
    // The CLI's own credential is not passed to the app.
    expect((await asCi(['run', '--env', 'staging', '--', ...show('LATCH_TOKEN')])).stdout.trim()).toBe(
      '<unset>',
    );
  });

  it('run: exit codes, --dry-run names only, --no-inherit, signal forwarding', async () => {
    expect((await run(['run', '--env', 'staging', '--', 'node', '-e', 'process.exit(7)'])).code).toBe(7);
    const missing = await run(['run', '--env', 'staging', '--', 'no-such-command-xyz']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('no-such-command-xyz: command not found');
    const noCommand = await run(['run', '--env', 'staging']);
    expect(noCommand.code).toBe(2);

    const dry = await run(['run', '--env', 'staging', '--dry-run', '--', 'node', 'server.js']);
    expect(dry.code).toBe(0);
    expect(dry.stdout.split('\n')).toContain('GREETING');
    expect(dry.stdout + dry.stderr).not.toContain('hello');

    const parent = { PARENT_ONLY: 'from-shell', GREETING: 'shell-loses' };
    const inherited = await run(
      [
        'run',
        '--env',
        'staging',
        '--',
        'node',
        '-e',
        'console.log(process.env.PARENT_ONLY, process.env.GREETING)',
      ],
      { env: parent },
    );
    expect(inherited.stdout.trim()).toBe('from-shell hello');
    const isolated = await run(['run', '--env', 'staging', '--no-inherit', '--', ...show('PARENT_ONLY')], {
      env: parent,
    });
    expect(isolated.stdout.trim()).toBe('<unset>');

    const script =
      "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);";
    const graceful = spawnLatch(['run', '--env', 'staging', '--', 'node', '-e', script], {
      configDir: home.path,
      cwd: app.path,
    });
    await waitFor('the child to start', () => graceful.out.stdout.includes('ready'));
    graceful.child.kill('SIGTERM');
    expect(await graceful.done).toBe(42);
    expect(graceful.out.stdout).toContain('child got SIGTERM');

    const killed = spawnLatch(
      ['run', '--env', 'staging', '--', 'node', '-e', "console.log('ready'); setInterval(() => {}, 1000);"],
      {
        configDir: home.path,
        cwd: app.path,
      },
    );
    await waitFor('the child to start', () => killed.out.stdout.includes('ready'));
    killed.child.kill('SIGINT');
    expect(await killed.done).toBe(130);
  });
});
