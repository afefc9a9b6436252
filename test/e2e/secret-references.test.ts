import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const home = tempDir('refs-owner');
const app = tempDir('refs-app');

const run = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
  latch(args, { configDir: home.path, cwd: app.path, ...opts });
const show = (name: string) => ['node', '-e', `console.log(process.env.${name} ?? '<unset>')`];
/** `${NAME}` as a user types it (built here so no string literal holds a template placeholder). */
const ref = (name: string) => `\${${name}}`;

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, home.path, 'refs@example.com');
  for (const args of [
    ['org', 'create', 'Refco', '--use'],
    ['projects', 'create', 'refs'],
    ['link', 'refs'],
    ['env', 'create', 'staging'],
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

describe('secret references through the real latch binary (issue 15 item 3)', () => {
  it('resolves ${NAME} into the release and pins it; get shows resolved, --raw as stored', async () => {
    expect((await run(['secrets', 'set', 'B', 'bee-1', '--env', 'staging'])).code).toBe(0);
    const setA = await run(['secrets', 'set', 'A', `x-${ref('B')}`, '--env', 'staging']);
    expect(setA.code, setA.stderr).toBe(0);
    const v1 = await run(['deploy', '--env', 'staging', '--yes']);
    expect(v1.code, v1.stderr).toBe(0);

    const first = await run(['run', '--env', 'staging', '--', ...show('A')]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('x-bee-1');

    expect((await run(['secrets', 'get', 'A', '--env', 'staging'])).stdout).toBe('x-bee-1\n');
    expect((await run(['secrets', 'get', 'A', '--env', 'staging', '--raw'])).stdout).toBe(`x-${ref('B')}\n`);
    const json = await run(['secrets', 'get', 'A', '--env', 'staging', '--json']);
    expect(json.json()).toMatchObject({ name: 'A', value: 'x-bee-1', references: ['B'] });
    const rawJson = await run(['secrets', 'get', 'A', '--env', 'staging', '--raw', '--json']);
    expect(rawJson.json()).toMatchObject({ name: 'A', value: `x-${ref('B')}` });

    // B changes, nothing is deployed: the release keeps the value it pinned.
    expect((await run(['secrets', 'set', 'B', 'bee-2', '--env', 'staging'])).code).toBe(0);
    expect((await run(['run', '--env', 'staging', '--', ...show('A')])).stdout.trim()).toBe('x-bee-1');
    expect((await run(['secrets', 'get', 'A', '--env', 'staging'])).stdout).toBe('x-bee-2\n');

    const v2 = await run(['deploy', '--env', 'staging', '--yes']);
    expect(v2.code, v2.stderr).toBe(0);
    expect((await run(['run', '--env', 'staging', '--', ...show('A')])).stdout.trim()).toBe('x-bee-2');

    // Another environment of the same project: ${staging.B}.
    const cross = await run([
      'secrets',
      'set',
      'FROM_STAGING',
      `s:${ref('staging.B')}`,
      '--env',
      'production',
    ]);
    expect(cross.code, cross.stderr).toBe(0);
    expect((await run(['deploy', '--env', 'production', '--yes'])).code).toBe(0);
    expect((await run(['run', '--env', 'production', '--', ...show('FROM_STAGING')])).stdout.trim()).toBe(
      's:bee-2',
    );
  });

  it('refuses a cycle and a missing reference with the chain named, and writes nothing', async () => {
    const cycle = await run(['secrets', 'set', 'B', ref('A'), '--env', 'staging']);
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toContain('Cannot set B: the references form a cycle, B → A → B.');
    expect(cycle.stderr).toContain('Break the loop');
    expect(cycle.stderr).not.toContain('bee-2');
    // Nothing written: B is still its plain value.
    expect((await run(['secrets', 'get', 'B', '--env', 'staging', '--raw'])).stdout).toBe('bee-2\n');

    const cycleJson = await run(['secrets', 'set', 'B', ref('A'), '--env', 'staging', '--json']);
    expect(cycleJson.code).toBe(1);
    expect(cycleJson.stdout).toBe('');
    expect(JSON.parse(cycleJson.stderr).error).toMatchObject({ code: 'REFERENCE_CYCLE' });

    const missing = await run(['secrets', 'set', 'C', `y-${ref('NOPE')}`, '--env', 'staging']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOPE is not set in');
    expect(missing.stderr).toContain('latch secrets set NOPE');
    const missingJson = await run(['secrets', 'set', 'C', `y-${ref('NOPE')}`, '--env', 'staging', '--json']);
    expect(missingJson.code).toBe(1);
    expect(JSON.parse(missingJson.stderr).error).toMatchObject({ code: 'REFERENCE_MISSING' });
    const noEnv = await run(['secrets', 'set', 'C', ref('qa.B'), '--env', 'staging']);
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toContain('has no environment qa');

    const list = await run(['secrets', 'list', '--env', 'staging', '--json']);
    expect(list.json().map((s: { name: string }) => s.name)).toEqual(['A', 'B']);
  });

  it('a reference that stopped resolving is refused at deploy, and --dry-run warns of it first', async () => {
    expect((await run(['secrets', 'set', 'D', 'dee', '--env', 'production'])).code).toBe(0);
    expect((await run(['secrets', 'set', 'E', `e-${ref('D')}`, '--env', 'production'])).code).toBe(0);
    const unset = await run(['secrets', 'unset', 'D', '--env', 'production', '--yes']);
    expect(unset.code, unset.stderr).toBe(0);

    const dry = await run(['deploy', '--env', 'production', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(
      'The deploy would be refused (REFERENCE_MISSING): Cannot deploy refs/production',
    );
    expect(dry.stderr).toContain('D is not set in');
    const refused = await run(['deploy', '--env', 'production', '--yes', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr.trim().split('\n').at(-1) as string).error).toMatchObject({
      code: 'REFERENCE_MISSING',
    });
    expect(refused.stderr).not.toContain('dee');
    // The release in force is untouched.
    expect((await run(['run', '--env', 'production', '--', ...show('E')])).stdout.trim()).toBe('<unset>');
  });
});
