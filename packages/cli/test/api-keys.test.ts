import { ApiError, generateToken } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { run as create, parseMeta } from '../src/commands/api-keys/create.js';
import { run as list } from '../src/commands/api-keys/list.js';
import { run as revoke } from '../src/commands/api-keys/revoke.js';
import { run as rotate } from '../src/commands/api-keys/rotate.js';
import { toFailure } from '../src/lib/errors.js';
import { type CliError, EXIT } from '../src/lib/exit.js';
import {
  apiKeyOf,
  environmentOf,
  type Handler,
  patToken,
  signedInDir,
  tempDir,
  testIo,
  useFakeApi,
} from './helpers.js';

const fake = useFakeApi();

const base = '/api/v1/orgs/org_team/projects/acme';
const KEY = apiKeyOf({
  metadata: { customer: 'c1' },
  expiresAt: '2026-04-01T00:00:00.000Z',
});
const ENVS = ['production', 'staging'].map((name) => environmentOf(name));

async function signedIn(handler: Handler) {
  const api = await fake(handler);
  const dir = signedInDir(api.url);
  return { api, io: (globals = {}) => testIo(globals, { configDir: dir, env: { LATCH_PROJECT: 'acme' } }) };
}

describe('latch api-keys create', () => {
  it('prints the key alone on stdout and warns on stderr that it is shown once', async () => {
    const token = generateToken('acme_');
    const { api, io } = await signedIn((req) =>
      req.path.endsWith('/environments')
        ? { body: { items: ENVS, nextCursor: null } }
        : { status: 201, body: { ...KEY, token } },
    );
    const out = io();
    await create(
      { nameArg: 'Warehouse sync', scope: 'read', env: 'production', expires: '90d', meta: ['customer=c1'] },
      out,
    );
    expect(out.stdoutText()).toBe(`${token}\n`);
    expect(out.stderrText()).toMatch(
      /Created API key Warehouse sync \(ak_1\) for acme\/production: scope read/,
    );
    expect(out.stderrText()).toMatch(/will not be shown again/);
    const post = api.seen.find((s) => s.method === 'POST');
    expect(post?.path).toBe(`${base}/api-keys`);
    expect(post?.json).toEqual({
      name: 'Warehouse sync',
      scope: 'read',
      environment: 'production',
      expiresIn: '90d',
      metadata: { customer: 'c1' },
    });
  });

  it("shows the server's refusal of an undeclared scope, with the declared ones", async () => {
    const message = 'Scope "admin" is not declared for acme/production. Declared scopes: read, writer.';
    const { io } = await signedIn((req) =>
      req.path.endsWith('/environments')
        ? { body: { items: ENVS, nextCursor: null } }
        : {
            status: 400,
            body: { error: { code: 'INVALID_INPUT', message, hint: 'Pick a declared scope.' } },
          },
    );
    const err = await create({ nameArg: 'x', scope: 'admin', env: 'production' }, io()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    const failure = toFailure(err);
    expect(failure.message).toBe(message);
    expect(failure.exitCode).toBe(EXIT.error);
  });

  it('asks which environment when the project has several and none is given', async () => {
    const { io } = await signedIn(() => ({ body: { items: ENVS, nextCursor: null } }));
    const err = (await create({ nameArg: 'x', scope: 'read' }, io()).catch((e: unknown) => e)) as CliError;
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toContain('2 environments (staging, production)');
  });

  it('checks name, scope, expiry and metadata before any request', async () => {
    const { api, io } = await signedIn(() => ({ status: 500 }));
    for (const opts of [
      { scope: 'read' },
      { nameArg: 'x' },
      { nameArg: 'x', scope: 'Bad Scope' },
      { nameArg: 'x', scope: 'read', expires: '400d' },
      { nameArg: 'x', scope: 'read', meta: ['novalue'] },
    ]) {
      const err = (await create(opts, io()).catch((e: unknown) => e)) as CliError;
      expect(err.exitCode, JSON.stringify(opts)).toBe(EXIT.usage);
    }
    expect(api.seen).toEqual([]);
    expect(parseMeta(['a=1', 'b=x=y', 'c='])).toEqual({ a: '1', b: 'x=y', c: '' });
  });

  it('says how to pick a project when none is selected', async () => {
    const noProject = testIo({}, { configDir: tempDir(), env: { LATCH_TOKEN: patToken() } });
    const err = (await create({ nameArg: 'x', scope: 'read', env: 'production' }, noProject).catch(
      (e: unknown) => e,
    )) as CliError;
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.hint).toMatch(/--project|LATCH_PROJECT|latch link/);
  });
});

describe('latch api-keys list', () => {
  it('prints a table, sends the filters, and JSON with --json', async () => {
    const { api, io } = await signedIn(() => ({ body: { items: [KEY], nextCursor: null } }));
    const out = io();
    await list({ scope: 'read', env: 'Production', status: 'active' }, out);
    const [header, row] = out.stdoutText().trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+ID\s+PREFIX\s+SCOPE\s+ENV\s+CREATED\s+LAST USED\s+EXPIRES\s+STATUS$/);
    expect(row).toMatch(
      /^Warehouse sync\s+ak_1\s+acme_AbCd…\s+read\s+production\s+2026-01-01\s+never\s+2026-04-01 00:00 UTC\s+active$/,
    );
    const q = api.seen[0]!.query;
    expect([q.get('scope'), q.get('env'), q.get('status')]).toEqual(['read', 'production', 'active']);
    const json = io({ json: true });
    await list({}, json);
    expect(JSON.parse(json.stdoutText())).toEqual([KEY]);
  });
});

describe('latch api-keys rotate and revoke', () => {
  it('rotate prints the new key and when the old one stops', async () => {
    const token = generateToken('acme_');
    const { api, io } = await signedIn(() => ({
      body: { ...KEY, token, status: 'rotating', rotatingUntil: '2026-01-02T00:00:00.000Z' },
    }));
    const out = io();
    await rotate({ id: 'ak_1', gracePeriod: '24h' }, out);
    expect(out.stdoutText()).toBe(`${token}\n`);
    expect(out.stderrText()).toContain('keeps working until 2026-01-02 00:00 UTC');
    expect(api.seen[0]).toMatchObject({
      method: 'POST',
      path: `${base}/api-keys/ak_1/rotate`,
      json: { gracePeriod: '24h' },
    });
  });

  it('revoke needs --yes without a terminal, then revokes', async () => {
    const { api, io } = await signedIn((req) =>
      req.method === 'GET'
        ? { body: { items: [KEY], nextCursor: null } }
        : { body: { ...KEY, status: 'revoked', revokedAt: '2026-01-02T00:00:00.000Z' } },
    );
    const refused = (await revoke({ id: 'ak_1' }, io()).catch((e: unknown) => e)) as CliError;
    expect(refused.exitCode).toBe(EXIT.usage);
    expect(refused.hint).toContain('--yes');
    // The question names the key it found: looked up first, then asked.
    expect(refused.message).toContain('Revoke API key Warehouse sync (acme_AbCd…) of acme/production?');
    expect(api.seen.filter((s) => s.method === 'DELETE')).toEqual([]);
    const out = io({ yes: true });
    await revoke({ id: 'ak_1' }, out);
    expect(api.seen.at(-1)).toMatchObject({ method: 'DELETE', path: `${base}/api-keys/ak_1` });
    expect(out.stderrText()).toContain('Revoked API key Warehouse sync');
  });
});
