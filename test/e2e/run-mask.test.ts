import * as pty from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { LATCH_BIN, latch, spawnLatch, tempDir, waitFor } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const home = tempDir('mask-owner');
const app = tempDir('mask-app');

const TOKEN = 'sk_live_0123456789abcdef';
const PEM = '-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----';

const run = (args: string[], opts: { env?: Record<string, string> } = {}) =>
  latch(args, { configDir: home.path, cwd: app.path, ...opts });
const node = (script: string) => ['node', '-e', script];

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, home.path, 'mira@example.com');
  for (const args of [
    ['org', 'create', 'Maskco', '--use'],
    ['projects', 'create', 'acme'],
    ['link', 'acme'],
    ['env', 'create', 'staging'],
    ['secrets', 'set', 'API_TOKEN', TOKEN, '--env', 'staging'],
    ['secrets', 'set', 'FLAG', 'on', '--env', 'staging'],
  ]) {
    const res = await run(args);
    expect(res.code, res.stderr).toBe(0);
  }
  const pem = await latch(['secrets', 'set', 'PEM', '-', '--env', 'staging'], {
    configDir: home.path,
    cwd: app.path,
    input: PEM,
  });
  expect(pem.code, pem.stderr).toBe(0);
  const deployed = await run(['deploy', '--env', 'staging', '--yes']);
  expect(deployed.code, deployed.stderr).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  for (const dir of [home, app]) dir.remove();
});

describe('latch run --mask through the real binary', () => {
  it('without --mask the output is unchanged; with it released values become *** on stdout and stderr', async () => {
    const script =
      'console.log("token=" + process.env.API_TOKEN, "flag=" + process.env.FLAG); console.error("err " + process.env.API_TOKEN); console.log(process.env.PEM);';
    const plain = await run(['run', '--env', 'staging', '--', ...node(script)]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`token=${TOKEN} flag=on\n${PEM}\n`);
    expect(plain.stderr).toBe(`err ${TOKEN}\n`);

    const masked = await run(['run', '--env', 'staging', '--mask', '--', ...node(script)]);
    expect(masked.code, masked.stderr).toBe(0);
    // FLAG is shorter than 4 characters: not masked (documented).
    expect(masked.stdout).toBe('token=*** flag=on\n***\n');
    expect(masked.stderr).toBe('err ***\n');
    // The child still gets the real values.
    const length = await run([
      'run',
      '--env',
      'staging',
      '--mask',
      '--',
      ...node('console.log(process.env.API_TOKEN.length)'),
    ]);
    expect(length.stdout.trim()).toBe(String(TOKEN.length));
  });

  it('masks a value written in pieces with pauses between them, and keeps the exit code', async () => {
    const script = `const t = process.env.API_TOKEN; process.stdout.write('a' + t.slice(0, 5)); setTimeout(() => { process.stdout.write(t.slice(5, 9)); setTimeout(() => { process.stdout.write(t.slice(9) + 'z\\n'); process.exit(3); }, 100); }, 100);`;
    const res = await run(['run', '--env', 'staging', '--mask', '--', ...node(script)]);
    expect(res.stdout).toBe('a***z\n');
    expect(res.code).toBe(3);
    const missing = await run(['run', '--env', 'staging', '--mask', '--', 'no-such-command-xyz']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('no-such-command-xyz: command not found');
  });

  it('forwards signals and reports 128+N when the child dies of one', async () => {
    const graceful = spawnLatch(
      [
        'run',
        '--env',
        'staging',
        '--mask',
        '--',
        ...node(
          "process.on('SIGTERM', () => { console.log('bye ' + process.env.API_TOKEN); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);",
        ),
      ],
      { configDir: home.path, cwd: app.path },
    );
    await waitFor('the child to start', () => graceful.out.stdout.includes('ready'));
    graceful.child.kill('SIGTERM');
    expect(await graceful.done).toBe(42);
    expect(graceful.out.stdout).toBe('ready\nbye ***\n');

    const killed = spawnLatch(
      [
        'run',
        '--env',
        'staging',
        '--mask',
        '--',
        ...node("console.log('ready'); setInterval(() => {}, 1000);"),
      ],
      { configDir: home.path, cwd: app.path },
    );
    await waitFor('the child to start', () => killed.out.stdout.includes('ready'));
    killed.child.kill('SIGINT');
    expect(await killed.done).toBe(130);
  });

  it('on a terminal the child keeps a TTY, its output is masked, and Ctrl-C reaches it', async () => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v && k !== 'CI' && k !== 'LATCH_TOKEN') env[k] = v;
    env.LATCH_CONFIG_DIR = home.path;
    env.NO_COLOR = '1';
    const script =
      "console.log('tty=' + Boolean(process.stdout.isTTY && process.stdin.isTTY) + ' ' + process.env.API_TOKEN); console.log(process.env.PEM); process.stdin.setRawMode(false); process.on('SIGINT', () => { console.log('interrupted'); process.exit(5); }); console.log('ready'); setInterval(() => {}, 1000);";
    const term = pty.spawn(
      process.execPath,
      [LATCH_BIN, 'run', '--env', 'staging', '--mask', '--', 'node', '-e', script],
      {
        cwd: app.path,
        env,
        cols: 100,
        rows: 30,
      },
    );
    let out = '';
    term.onData((d) => {
      out += d;
    });
    const exited = new Promise<number>((r) => term.onExit(({ exitCode }) => r(exitCode)));
    await waitFor('the child to start', () => out.includes('ready'));
    term.write('\x03');
    expect(await exited).toBe(5);
    expect(out).toContain('tty=true ***');
    expect(out).toContain('interrupted');
    expect(out).not.toContain(TOKEN);
    // The PEM spans lines; the terminal prints it with \r\n, and that form is masked too.
    expect(out).not.toContain('AAAABBBBCCCC');
  });
});
