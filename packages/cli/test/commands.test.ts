import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { run as orgList } from '../src/commands/org/list.js';
import { run as orgUse } from '../src/commands/org/use.js';
import { run as patsCreate } from '../src/commands/pats/create.js';
import { run as invite } from '../src/commands/team/invite.js';
import { ConfigStore } from '../src/lib/config.js';
import { CliError, EXIT } from '../src/lib/exit.js';
import { registerCommands } from '../src/registry.js';
import { ORGS, signedInDir, type startFakeApi, testIo, useFakeApi } from './helpers.js';

const fake = useFakeApi();

async function signedIn(handler: Parameters<typeof startFakeApi>[0]) {
  const api = await fake(handler);
  const dir = signedInDir(api.url);
  return { api, dir };
}

const orgsHandler = () => ({ body: { items: ORGS, nextCursor: null } });

describe('org commands', () => {
  it('org list marks the active org and prints an array with --json', async () => {
    const { dir } = await signedIn(orgsHandler);
    const io = testIo({}, { configDir: dir });
    await orgList({}, io);
    const lines = io.stdoutText().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ {2}NAME\s+ID\s+ROLE\s+CREATED$/);
    expect(lines[1]).toMatch(/^\* Acme\s+org_team\s+admin/);
    expect(lines[2]).toMatch(/^ {2}ana \(personal\)\s+org_me\s+owner/);
    const jsonIo = testIo({ json: true }, { configDir: dir });
    await orgList({}, jsonIo);
    const rows = JSON.parse(jsonIo.stdoutText());
    expect(rows.map((r: { active: boolean }) => r.active)).toEqual([true, false]);
    expect(jsonIo.stderrText()).toBe('');
  });

  it('org use matches names case-insensitively and stores id and name', async () => {
    const { dir } = await signedIn(orgsHandler);
    await orgUse({ org: 'ANA' }, testIo({}, { configDir: dir }));
    expect(new ConfigStore(dir).data.activeOrg).toEqual({ id: 'org_me', name: 'ana' });
  });

  it('org use of an org you are not in says so and what to run', async () => {
    const { dir } = await signedIn(orgsHandler);
    const err = (await orgUse({ org: 'globex' }, testIo({}, { configDir: dir })).catch(
      (e: unknown) => e,
    )) as CliError;
    expect(`${err.message} ${err.hint}`).toBe(
      'You are not a member of org globex. Run `latch org list` to see yours.',
    );
    expect(err.exitCode).toBe(EXIT.error);
  });

  it('team invite sends email and role to the active org by id', async () => {
    const { api, dir } = await signedIn((req) => ({
      status: 201,
      body: {
        id: 'inv_1',
        org: { id: 'org_team', name: 'Acme' },
        email: (req.json as { email: string }).email,
        role: (req.json as { role: string }).role,
        status: 'pending',
        invitedBy: 'ana@example.com',
        createdAt: '2026-01-01T00:00:00Z',
        expiresAt: '2026-01-08T00:00:00Z',
        delivery: 'link',
        link: 'https://latch.example.com/invite/lk_inv_fixture',
      },
    }));
    const io = testIo({}, { configDir: dir });
    await invite({ email: 'bo@example.com', role: 'viewer' }, io);
    expect(api.seen[0]).toMatchObject({ method: 'POST', path: '/api/v1/orgs/org_team/invitations' });
    expect(api.seen[0]!.json).toEqual({ email: 'bo@example.com', role: 'viewer' });
    // Without mail the one-time link is the whole result on stdout, so it can be captured.
    expect(io.stdoutText()).toBe('https://latch.example.com/invite/lk_inv_fixture\n');
  });

  it('without --org or an active org, says to run `latch org use`', async () => {
    const err = (await invite({ email: 'bo@example.com', role: 'viewer' }, testIo()).catch(
      (e: unknown) => e,
    )) as CliError;
    expect(err.hint).toContain('latch org use');
  });
});

describe('pats create', () => {
  const created = (name: string) => ({
    id: 'pat_9',
    kind: 'pat',
    name,
    prefix: 'lk_pat_wxyz',
    scopes: ['deploy:write'],
    createdAt: '2026-01-01T00:00:00Z',
    expiresAt: '2026-04-01T00:00:00Z',
    lastUsedAt: null,
    status: 'active',
    token: 'lk_pat_THE_ONE_TIME_SECRET',
  });

  it('prints the token alone on stdout, once, with the warning on stderr', async () => {
    const { api, dir } = await signedIn((req) => ({
      status: 201,
      body: created((req.json as { name: string }).name),
    }));
    const io = testIo({}, { configDir: dir });
    await patsCreate({ nameArg: 'CI deploys', expires: '90d', scope: ['deploy:write'] }, io);
    expect(api.seen[0]!.json).toEqual({ name: 'CI deploys', expiresIn: '90d', scopes: ['deploy:write'] });
    expect(io.stdoutText()).toBe('lk_pat_THE_ONE_TIME_SECRET\n');
    expect(io.stderrText()).toContain('will not be shown again');
    expect(io.stderrText()).not.toContain('THE_ONE_TIME_SECRET');
  });

  it('with --json the whole object, token included, goes to stdout', async () => {
    const { dir } = await signedIn(() => ({ status: 201, body: created('ci') }));
    const io = testIo({ json: true }, { configDir: dir });
    await patsCreate({ name: 'ci' }, io);
    expect(JSON.parse(io.stdoutText())).toMatchObject({ id: 'pat_9', token: 'lk_pat_THE_ONE_TIME_SECRET' });
  });

  it('refuses a bad --expires and a missing name locally (exit 2)', async () => {
    const bad = (await patsCreate({ name: 'x', expires: '400d' }, testIo()).catch(
      (e: unknown) => e,
    )) as CliError;
    expect(bad.exitCode).toBe(EXIT.usage);
    expect(bad.message).toContain('between');
    const unnamed = (await patsCreate({}, testIo()).catch((e: unknown) => e)) as CliError;
    expect(unnamed.exitCode).toBe(EXIT.usage);
  });
});

describe('command registry', () => {
  async function parse(argv: string[]) {
    const calls: { name: string; opts: Record<string, unknown>; globals: Record<string, unknown> }[] = [];
    const program = new Command('latch')
      .exitOverride()
      .option('--json')
      .option('--org <org>')
      .option('-y, --yes')
      .configureOutput({ writeErr: () => {}, writeOut: () => {} });
    await registerCommands(program, async (_mod, opts, command) => {
      calls.push({ name: command.name(), opts, globals: command.optsWithGlobals() });
    });
    return program.parseAsync(['node', 'latch', ...argv]).then(() => calls);
  }

  it('maps positional arguments and options, with globals anywhere', async () => {
    const [call] = await parse([
      'pats',
      'create',
      'ci',
      '--expires',
      '90d',
      '-s',
      'a:read',
      '-s',
      'b:write',
      '--json',
    ]);
    expect(call).toMatchObject({
      name: 'create',
      opts: { nameArg: 'ci', expires: '90d', scope: ['a:read', 'b:write'] },
      globals: { json: true },
    });
  });

  it('team is org, and invite defaults to developer', async () => {
    const [call] = await parse(['team', 'invite', 'bo@example.com', '--org', 'acme']);
    expect(call).toMatchObject({ name: 'invite', opts: { email: 'bo@example.com', role: 'developer' } });
    expect(call!.globals.org).toBe('acme');
  });

  it('rejects unknown commands and bad choices as usage errors', async () => {
    await expect(parse(['org', 'lst'])).rejects.toMatchObject({ code: 'commander.unknownCommand' });
    await expect(parse(['team', 'invite', 'a@b.c', '--role', 'boss'])).rejects.toMatchObject({
      code: 'commander.invalidArgument',
    });
    await expect(parse(['dev', '--port', 'x'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });
});

it('CliError is what commands throw for usage problems', () => {
  expect(new CliError('x', { exitCode: EXIT.usage }).code).toBe('USAGE');
});
