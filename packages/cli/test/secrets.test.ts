import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { run as deploy } from '../src/commands/releases/deploy.js';
import { run as rollback } from '../src/commands/releases/rollback.js';
import { run as get } from '../src/commands/secrets/get.js';
import { run as set } from '../src/commands/secrets/set.js';
import { runChild } from '../src/lib/child.js';

const onSignal = (signal: NodeJS.Signals, handler: (s: NodeJS.Signals) => void) => {
  process.on(signal, handler);
  return () => void process.off(signal, handler);
};

import type { CliError } from '../src/lib/exit.js';

import { registerCommands } from '../src/registry.js';
import { environmentOf, signedInDir, type startFakeApi, tempDir, testIo, useFakeApi } from './helpers.js';

const fake = useFakeApi();

/** The CLI's own program shape: with a command word, `--version` belongs to the command. */
async function parse(argv: string[]) {
  const calls: { name: string; opts: Record<string, unknown> }[] = [];
  const program = new Command('latch')
    .exitOverride()
    .version('1.0.0', '-V')
    .option('--json')
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await registerCommands(program, async (_mod, opts, command) => {
    calls.push({ name: command.name(), opts });
  });
  return program.parseAsync(['node', 'latch', ...argv]).then(() => calls);
}

describe('secrets commands: parsing', () => {
  it('gives --version to `secrets rollback`, and everything after -- to `run`', async () => {
    expect(
      (await parse(['secrets', 'rollback', 'API_KEY', '--version', '3', '--env', 'prod']))[0],
    ).toMatchObject({
      name: 'rollback',
      opts: { name: 'API_KEY', version: '3', env: 'prod' },
    });
    expect(
      (await parse(['run', '--env', 'staging', '--no-inherit', '--', 'node', '-e', '0', '--version']))[0],
    ).toMatchObject({
      name: 'run',
      opts: { command: ['node', '-e', '0', '--version'], env: 'staging', inherit: false },
    });
  });

  it('gives --raw to `secrets get`', async () => {
    expect((await parse(['secrets', 'get', 'API_URL', '--raw', '--env', 'prod']))[0]).toMatchObject({
      name: 'get',
      opts: { name: 'API_URL', raw: true, env: 'prod' },
    });
    expect((await parse(['secrets', 'get', 'API_URL']))[0]?.opts.raw).toBeUndefined();
  });

  it('passes options that `latch server` also has on to `server rotate-master-key`', async () => {
    const [call] = await parse([
      'server',
      'rotate-master-key',
      '--data-dir',
      '/d',
      '--new-key-file',
      'new.key',
    ]);
    expect(call).toMatchObject({ name: 'rotate-master-key', opts: { dataDir: '/d', newKeyFile: 'new.key' } });
  });
});

describe('latch run: the child process', () => {
  const node = process.execPath;
  const quiet = () => {};
  it("exits with the child's code, 128+signal, or 127 when the command does not exist", async () => {
    expect(await runChild(node, ['-e', 'process.exit(5)'], process.env, quiet, onSignal)).toBe(5);
    expect(
      await runChild(node, ['-e', "process.kill(process.pid, 'SIGKILL')"], process.env, quiet, onSignal),
    ).toBe(137);
    let message = '';
    expect(await runChild('no-such-command-xyz', [], process.env, (m) => (message = m), onSignal)).toBe(127);
    expect(message).toBe('no-such-command-xyz: command not found');
  });
});

describe('secrets set and deploy against a fake server', () => {
  async function signedIn(handler: Parameters<typeof startFakeApi>[0]) {
    const api = await fake(handler);
    const dir = signedInDir(api.url);
    return { api, dir };
  }

  it('reads the value from stdin with -, dropping one trailing newline; the value is never printed', async () => {
    const { api, dir } = await signedIn(() => ({
      body: {
        name: 'API_KEY',
        version: 2,
        action: 'set',
        unchanged: false,
        environment: { id: 'env_1', name: 'prod' },
      },
    }));
    const io = testIo({}, { configDir: dir, env: { LATCH_PROJECT: 'acme' } });
    await set({ name: 'API_KEY', value: '-', env: 'prod' }, io, { read: async () => 's3cr3t-value\n' });
    expect(api.seen[0]).toMatchObject({
      method: 'PUT',
      path: '/api/v1/orgs/org_team/projects/acme/environments/prod/secrets/API_KEY',
      json: { value: 's3cr3t-value' },
    });
    expect(io.stderrText()).toContain('Set API_KEY in acme/prod: version 2');
    expect(io.stdoutText() + io.stderrText()).not.toContain('s3cr3t');

    const bad = await set({ name: 'api-key', value: 'x', env: 'prod' }, io).catch((e: unknown) => e);
    expect((bad as Error).message).toContain('UPPER_SNAKE_CASE');
    const noValue = await set({ name: 'API_KEY', env: 'prod' }, io).catch((e: unknown) => e);
    expect((noValue as Error).message).toContain('- to read it from stdin');
  });

  it('--env Production finds production; a near miss suggests the closest name', async () => {
    const ENVS = ['development', 'staging', 'production'].map((name) => environmentOf(name));
    const { api, dir } = await signedIn((req) =>
      req.method === 'GET'
        ? { body: { items: ENVS, nextCursor: null } }
        : {
            body: {
              name: 'API_KEY',
              version: 1,
              action: 'set',
              unchanged: false,
              environment: { id: 'env_2', name: 'production' },
            },
          },
    );
    const io = testIo({}, { configDir: dir, env: { LATCH_PROJECT: 'acme' } });
    await set({ name: 'API_KEY', value: 'x', env: 'Production' }, io);
    expect(api.seen.at(-1)).toMatchObject({
      method: 'PUT',
      path: '/api/v1/orgs/org_team/projects/acme/environments/production/secrets/API_KEY',
    });
    const typo = (await set({ name: 'API_KEY', value: 'x', env: 'Prodution' }, io).catch(
      (e: unknown) => e,
    )) as CliError;
    expect(typo.message).toBe('Project acme has no environment Prodution.');
    expect(typo.hint).toMatch(
      /^Did you mean --env production\? Its environments: development, staging, production\./,
    );
  });

  it('releases rollback checks that the release exists before asking', async () => {
    const release = (number: number) => ({
      id: `rel_${number}`,
      environment: { id: 'env_1', name: 'production' },
      number,
      message: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: 'ana@example.com',
      variables: 2,
      manifestVersion: null,
      rollbackOf: null,
      current: number === 2,
    });
    const { api, dir } = await signedIn(() => ({
      body: { items: [release(1), release(2)], nextCursor: null },
    }));
    const asked: string[] = [];
    const io = testIo(
      {},
      {
        configDir: dir,
        env: { LATCH_PROJECT: 'acme' },
        isTTY: true,
        ask: async (q) => {
          asked.push(q);
          return true;
        },
      },
    );
    const err = (await rollback({ env: 'production', to: 'v9' }, io).catch((e: unknown) => e)) as CliError;
    expect(`${err.message} ${err.hint}`).toBe(
      'acme/production has no release v9. Its releases go from v1 to v2; see them with `latch releases list --env production`.',
    );
    expect(err.code).toBe('NOT_FOUND');
    expect(asked).toEqual([]);
    expect(api.seen.map((r) => r.method)).toEqual(['GET']);
  });

  it('deploy needs --env, and --yes without a terminal', async () => {
    const { dir } = await signedIn(() => ({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'no' } },
    }));
    const io = testIo({}, { configDir: dir, env: { LATCH_PROJECT: 'acme' } });
    const cwd = tempDir();
    expect(((await deploy({ cwd }, io).catch((e: unknown) => e)) as Error).message).toContain('needs --env');
    const refused = (await deploy({ env: 'staging', cwd }, io).catch((e: unknown) => e)) as CliError;
    expect(refused.exitCode).toBe(2);
    expect(refused.hint).toContain('--yes');
    expect(refused.message).toContain('v1, creating environment staging');
  });

  it('secrets get asks for the resolved value, and for the stored one with --raw (also in --json)', async () => {
    const stored = 'https://$' + '{HOST}/v1';
    const { api, dir } = await signedIn((req) => {
      const raw = req.query.get('raw') === 'true';
      return {
        body: {
          name: 'API_URL',
          version: 3,
          value: raw ? stored : 'https://api.example.com/v1',
          references: raw ? [] : ['HOST'],
          managed: false,
          environment: { id: 'env_1', name: 'prod' },
          updatedAt: '2026-01-01T00:00:00.000Z',
          updatedBy: 'ana@example.com',
        },
      };
    });
    const path = '/api/v1/orgs/org_team/projects/acme/environments/prod/secrets/API_URL';
    const env = { LATCH_PROJECT: 'acme' };

    const plain = testIo({}, { configDir: dir, env });
    await get({ name: 'API_URL', env: 'prod' }, plain);
    expect(api.seen[0]).toMatchObject({ method: 'GET', path });
    expect(api.seen[0]?.query.has('raw')).toBe(false);
    expect(plain.stdoutText()).toBe('https://api.example.com/v1\n');

    const raw = testIo({}, { configDir: dir, env });
    await get({ name: 'API_URL', env: 'prod', raw: true }, raw);
    expect(api.seen[1]?.query.get('raw')).toBe('true');
    expect(raw.stdoutText()).toBe(`${stored}\n`);

    const json = testIo({ json: true }, { configDir: dir, env });
    await get({ name: 'API_URL', env: 'prod', raw: true, version: '3' }, json);
    expect(api.seen[2]?.query.get('raw')).toBe('true');
    expect(api.seen[2]?.query.get('version')).toBe('3');
    expect(JSON.parse(json.stdoutText())).toMatchObject({ name: 'API_URL', value: stored, references: [] });
  });
});
