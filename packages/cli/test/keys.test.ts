import { ApiError, EXPIRY_BOUNDS, generateToken } from '@latchkey/core';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { run as keysCreate } from '../src/commands/keys/create.js';
import { run as keysRevoke } from '../src/commands/keys/revoke.js';
import { run as keysRotate } from '../src/commands/keys/rotate.js';
import { run as saCreate } from '../src/commands/service-accounts/create.js';
import { run as saKeysCreate } from '../src/commands/service-accounts/keys/create.js';
import { ConfigStore } from '../src/lib/config.js';
import { toFailure } from '../src/lib/errors.js';
import { CliError, EXIT } from '../src/lib/exit.js';
import { checkDuration, parseScopes } from '../src/lib/flags.js';
import { registerCommands } from '../src/registry.js';
import { failure, tempDir, testIo, useFakeApi } from './helpers.js';

const fake = useFakeApi();

const KEY = {
  id: 'key_1',
  kind: 'platform_key',
  name: 'GitHub Actions',
  prefix: 'lk_key_abcd',
  scopes: ['deploy:write', 'secrets:read'],
  createdBy: 'ana@example.com',
  createdAt: '2026-01-01T00:00:00.000Z',
  lastUsedAt: null,
  expiresAt: '2026-04-01T00:00:00.000Z',
  rotatingUntil: null,
  status: 'active',
};
const ME_KEY = {
  user: null,
  token: { ...KEY, kind: 'platform_key', scopes: KEY.scopes },
  org: { id: 'org_ci', name: 'Acme' },
};

describe('flag parsing', () => {
  it('reads scope lists from commas and repeats, trimmed and deduplicated', () => {
    expect(parseScopes(['deploy:write,secrets:read', ' deploy:write ', 'audit:read'])).toEqual([
      'deploy:write',
      'secrets:read',
      'audit:read',
    ]);
    expect(parseScopes('projects:manage')).toEqual(['projects:manage']);
    expect(parseScopes(undefined)).toEqual([]);
  });

  it('refuses a non-scope with exit 2 and says how to fix a misplaced name', () => {
    const err = (() => {
      try {
        parseScopes(['deploy:write', 'CI', 'secrets:manage']);
      } catch (e) {
        return e as CliError;
      }
    })();
    expect(err?.exitCode).toBe(EXIT.usage);
    expect(err?.message).toContain('"CI", "secrets:manage" are not scopes');
    expect(err?.hint).toContain('--name');
  });

  it('checks durations against the server bounds: keys 1h..365d, grace 0..30d', () => {
    expect(checkDuration('--expires', ' 90d ', EXPIRY_BOUNDS.key, 'x')).toBe('90d');
    expect(checkDuration('--expires', '30', EXPIRY_BOUNDS.key, 'x')).toBe('30');
    expect(checkDuration('--expires', undefined, EXPIRY_BOUNDS.key, 'x')).toBeUndefined();
    expect(checkDuration('--grace-period', '0', EXPIRY_BOUNDS.grace, 'x')).toBe('0');
    for (const [value, bounds] of [
      ['30m', EXPIRY_BOUNDS.key],
      ['400d', EXPIRY_BOUNDS.key],
      ['31d', EXPIRY_BOUNDS.grace],
      ['soon', EXPIRY_BOUNDS.grace],
    ] as const) {
      expect(() => checkDuration('--x', value, bounds, 'latch …')).toThrow(CliError);
    }
  });

  it('registers keys and service-accounts commands, nested keys included', async () => {
    const calls: { path: string; opts: Record<string, unknown>; globals: Record<string, unknown> }[] = [];
    const parse = async (argv: string[]) => {
      const program = new Command('latch')
        .exitOverride()
        .option('--json')
        .option('--org <org>')
        .option('-y, --yes')
        .configureOutput({ writeErr: () => {}, writeOut: () => {} });
      await registerCommands(program, async (_mod, opts, command) => {
        calls.push({
          path: `${command.parent?.name()} ${command.name()}`,
          opts,
          globals: command.optsWithGlobals(),
        });
      });
      return program.parseAsync(['node', 'latch', ...argv]);
    };
    await parse(['keys', 'create', 'CI Pipeline', '-s', 'deploy:write,secrets:read', '--expires', '90']);
    await parse(['keys', 'rotate', 'key_1', '--grace-period', '24h']);
    await parse(['service-accounts', 'keys', 'revoke', 'bot', 'sak_1', '-y']);
    await parse(['service-accounts', 'create', 'bot', '--role', 'developer']);
    expect(calls).toEqual([
      expect.objectContaining({
        path: 'keys create',
        opts: { nameArg: 'CI Pipeline', scope: ['deploy:write,secrets:read'], expires: '90' },
      }),
      expect.objectContaining({ path: 'keys rotate', opts: { id: 'key_1', gracePeriod: '24h' } }),
      expect.objectContaining({ path: 'keys revoke', opts: { account: 'bot', keyId: 'sak_1' } }),
      expect.objectContaining({ path: 'service-accounts create', opts: { name: 'bot', role: 'developer' } }),
    ]);
    expect(calls[2]!.globals.yes).toBe(true);
    await expect(parse(['service-accounts', 'create', 'x', '--role', 'owner'])).rejects.toMatchObject({
      code: 'commander.invalidArgument',
    });
  });
});

describe('latch keys with LATCH_TOKEN (CI)', () => {
  it('create: takes the org from the key itself, prints the key alone on stdout, warns on stderr', async () => {
    const api = await fake((req) =>
      req.path === '/api/v1/me'
        ? { body: ME_KEY }
        : { status: 201, body: { ...KEY, token: 'lk_key_THE_ONE_TIME_SECRET' } },
    );
    const io = testIo({}, { env: { LATCH_TOKEN: generateToken('lk_key_'), LATCH_API_URL: api.url } });
    await keysCreate({ nameArg: 'GitHub Actions', scope: ['deploy:write,secrets:read'], expires: '90d' }, io);
    expect(api.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /api/v1/me',
      'POST /api/v1/orgs/org_ci/keys',
    ]);
    expect(api.seen[1]!.json).toEqual({
      name: 'GitHub Actions',
      scopes: ['deploy:write', 'secrets:read'],
      expiresIn: '90d',
    });
    expect(io.stdoutText()).toBe('lk_key_THE_ONE_TIME_SECRET\n');
    expect(io.stderrText()).toContain('will not be shown again');
    expect(io.stderrText()).not.toContain('THE_ONE_TIME_SECRET');
  });

  it('an org-bound key ignores the active org of a stored login; --org beats both', async () => {
    const api = await fake((req) =>
      req.path === '/api/v1/me' ? { body: ME_KEY } : { body: { items: [], nextCursor: null } },
    );
    const dir = tempDir();
    new ConfigStore(dir).update({ apiUrl: api.url, activeOrg: { id: 'org_personal', name: 'ana' } });
    const { run: list } = await import('../src/commands/keys/list.js');
    await list({}, testIo({}, { configDir: dir, env: { LATCH_TOKEN: generateToken('lk_sa_') } }));
    expect(api.seen.at(-1)!.path).toBe('/api/v1/orgs/org_ci/keys');
    await list(
      {},
      testIo({ org: 'acme' }, { configDir: dir, env: { LATCH_TOKEN: generateToken('lk_key_') } }),
    );
    expect(api.seen.at(-1)!.path).toBe('/api/v1/orgs/acme/keys');
  });

  it('revoke without --yes and without a terminal fails with exit 2 and a hint, sending nothing', async () => {
    const api = await fake((req) =>
      req.method === 'DELETE'
        ? { body: { ...KEY, status: 'revoked' } }
        : req.path === '/api/v1/me'
          ? { body: ME_KEY }
          : { body: { items: [KEY], nextCursor: null } },
    );
    const env = { LATCH_TOKEN: generateToken('lk_key_'), LATCH_API_URL: api.url };
    const err = await failure(keysRevoke({ id: 'key_1' }, testIo({}, { env })));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.hint).toContain('--yes');
    expect(api.seen.filter((s) => s.method === 'DELETE')).toEqual([]);

    const io = testIo({ yes: true }, { env });
    await keysRevoke({ id: 'key_1' }, io);
    expect(api.seen.at(-1)).toMatchObject({ method: 'DELETE', path: '/api/v1/orgs/org_ci/keys/key_1' });
    expect(io.stderrText()).toContain('Revoked platform key');
  });

  it('rotate sends the grace period, prints the new key, and asks before a grace period of 0', async () => {
    const api = await fake((req) =>
      req.path === '/api/v1/me'
        ? { body: ME_KEY }
        : {
            body: {
              ...KEY,
              status: 'rotating',
              rotatingUntil: '2026-01-02T00:00:00.000Z',
              token: 'lk_key_NEW',
            },
          },
    );
    const env = { LATCH_TOKEN: generateToken('lk_key_'), LATCH_API_URL: api.url };
    const io = testIo({}, { env });
    await keysRotate({ id: 'key_1', gracePeriod: '24h' }, io);
    expect(api.seen.at(-1)).toMatchObject({
      method: 'POST',
      path: '/api/v1/orgs/org_ci/keys/key_1/rotate',
      json: { gracePeriod: '24h' },
    });
    expect(io.stdoutText()).toBe('lk_key_NEW\n');
    expect(io.stderrText()).toContain('keeps working until 2026-01-02');
    const err = await failure(keysRotate({ id: 'key_1', gracePeriod: '0' }, testIo({}, { env })));
    expect(err.exitCode).toBe(EXIT.usage);
  });

  it('a suspended key: the server message and its hint are what the user reads', () => {
    const err = new ApiError(
      'KEY_SUSPENDED',
      'This platform key is suspended: its creator is no longer a member of Acme.',
      {
        httpStatus: 403,
        hint: 'Automation that must outlive people should use a service account key (`latch service-accounts`).',
      },
    );
    const f = toFailure(err, { tokenSource: 'env' });
    expect(f).toMatchObject({ exitCode: EXIT.error, code: 'KEY_SUSPENDED' });
    expect(f.message).toContain('suspended');
    expect(f.hint).toContain('service account');
  });
});

describe('latch service-accounts', () => {
  it('create needs a role, chosen on purpose (exit 2)', async () => {
    const err = await failure(saCreate({ name: 'bot' }, testIo()));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toContain('--role');
  });

  it('keys create sends name and expiry to the account by name and prints the key once', async () => {
    const api = await fake(() => ({
      status: 201,
      body: {
        id: 'sak_1',
        kind: 'service_account_key',
        name: 'deploy',
        prefix: 'lk_sa_abcd',
        serviceAccount: { id: 'sa_1', name: 'bot' },
        createdBy: 'ana@example.com',
        createdAt: '2026-01-01T00:00:00.000Z',
        lastUsedAt: null,
        expiresAt: null,
        rotatingUntil: null,
        status: 'active',
        token: 'lk_sa_THE_SECRET',
      },
    }));
    const io = testIo(
      { org: 'acme' },
      { env: { LATCH_TOKEN: generateToken('lk_pat_'), LATCH_API_URL: api.url } },
    );
    await saKeysCreate({ account: 'bot', name: 'deploy', expires: '30d' }, io);
    expect(api.seen[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/orgs/acme/service-accounts/bot/keys',
      json: { name: 'deploy', expiresIn: '30d' },
    });
    expect(io.stdoutText()).toBe('lk_sa_THE_SECRET\n');
    expect(io.stderrText()).toContain('does not expire');
  });
});
