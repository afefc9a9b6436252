import { generateToken } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { run as login } from '../src/commands/auth/login.js';
import { run as status } from '../src/commands/auth/status.js';
import { ConfigStore } from '../src/lib/config.js';
import { CliError, EXIT } from '../src/lib/exit.js';
import { type Handler, ME, ORGS, patToken, tempDir, testIo, useFakeApi } from './helpers.js';

const fake = useFakeApi();

const server: Handler = (req) => {
  if (req.path === '/api/v1/me') return { body: ME('pat_42') };
  if (req.path === '/api/v1/orgs') return { body: { items: ORGS, nextCursor: null } };
  return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'nope' } } };
};

async function fail(p: Promise<unknown>): Promise<CliError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  return err as CliError;
}

describe('latch login --token', () => {
  it('checks the token with /me, stores it with user and the personal org as active', async () => {
    const api = await fake(server);
    const dir = tempDir();
    const token = patToken();
    const io = testIo({ apiUrl: api.url }, { configDir: dir });
    await login({ token }, io);
    expect(api.seen[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(new ConfigStore(dir).data).toEqual({
      apiUrl: api.url,
      token,
      tokenId: 'pat_42',
      tokenExpiresAt: '2027-03-22T10:00:00.000Z',
      user: { id: 'usr_1', email: 'ana@example.com' },
      activeOrg: { id: 'org_me', name: 'ana' },
    });
    const prefix = token.slice(0, 11);
    expect(io.stderrText()).toContain(
      `Signed in as ana@example.com (token ${prefix}…, expires 2027-03-22 10:00 UTC)`,
    );
    expect(io.stderrText() + io.stdoutText()).not.toContain(token);
  });

  it('keeps an active org the user still belongs to', async () => {
    const api = await fake(server);
    const dir = tempDir();
    new ConfigStore(dir).update({ activeOrg: { id: 'org_team', name: 'Acme' } });
    await login({ token: patToken() }, testIo({ apiUrl: api.url }, { configDir: dir }));
    expect(new ConfigStore(dir).data.activeOrg).toEqual({ id: 'org_team', name: 'Acme' });
  });

  it('refuses a malformed token locally, before any request (exit 2)', async () => {
    const api = await fake(server);
    const token = patToken();
    const typo = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const err = await fail(login({ token: typo }, testIo({ apiUrl: api.url })));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toContain('checksum');
    expect(api.seen).toHaveLength(0);
  });

  it('refuses an app API key with a pointer to the right kind', async () => {
    const err = await fail(login({ token: generateToken('acme_') }, testIo()));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toContain('app API keys');
  });

  it('refuses to sign in while LATCH_TOKEN is set (exit 2)', async () => {
    const err = await fail(login({}, testIo({}, { env: { LATCH_TOKEN: patToken() } })));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toContain('LATCH_TOKEN is set');
    expect(err.hint).toContain('Unset LATCH_TOKEN');
  });

  it('an expired pasted token says to create a new one or sign in in the browser, not to run login again', async () => {
    const api = await fake(() => ({
      status: 401,
      body: {
        error: {
          code: 'TOKEN_EXPIRED',
          message: 'The token expired.',
          hint: 'Run `latch login`.',
          details: { expiresAt: '2026-05-01T09:30:00.000Z' },
        },
      },
    }));
    const dir = tempDir();
    const err = await fail(login({ token: patToken() }, testIo({ apiUrl: api.url }, { configDir: dir })));
    expect(err.exitCode).toBe(EXIT.auth);
    expect(err.code).toBe('TOKEN_EXPIRED');
    expect(err.message).toBe('That token has expired (on 2026-05-01 09:30 UTC); nothing was stored.');
    expect(err.hint).toMatch(
      /Create a new one \(`latch pats create`.*without --token to sign in in the browser/,
    );
    expect(new ConfigStore(dir).data).toEqual({});
  });

  it('stores nothing when the server rejects the token', async () => {
    const api = await fake(() => ({
      status: 401,
      body: { error: { code: 'TOKEN_REVOKED', message: 'The token was revoked' } },
    }));
    const dir = tempDir();
    await login({ token: patToken() }, testIo({ apiUrl: api.url }, { configDir: dir })).catch(() => {});
    expect(new ConfigStore(dir).data).toEqual({});
  });
});

describe('latch auth status', () => {
  it('shows user, masked token, expiry, active org and API URL; --json gives an object', async () => {
    const api = await fake(server);
    const dir = tempDir();
    const token = patToken();
    new ConfigStore(dir).update({ apiUrl: api.url, token, activeOrg: { id: 'org_team', name: 'Acme' } });
    const io = testIo({}, { configDir: dir });
    await status({}, io);
    expect(io.stdoutText()).toContain('Signed in as ana@example.com');
    expect(io.stdoutText()).toContain(`${token.slice(0, 11)}…`);
    expect(io.stdoutText()).toContain('Acme');
    expect(io.stdoutText()).toContain(api.url);
    expect(io.stdoutText()).not.toContain(token);

    const jsonIo = testIo({ json: true }, { configDir: dir });
    await status({}, jsonIo);
    const value = JSON.parse(jsonIo.stdoutText());
    expect(value).toMatchObject({
      signedIn: true,
      apiUrl: api.url,
      user: { email: 'ana@example.com' },
      token: { id: 'pat_42', kind: 'pat', masked: `${token.slice(0, 11)}…`, source: 'config' },
      activeOrg: { id: 'org_team', name: 'Acme' },
    });
  });

  it('--json prints signedIn: false when signed out or when the token is rejected (exit 4 still)', async () => {
    const io = testIo({ json: true, apiUrl: 'http://127.0.0.1:9' });
    await expect(status({}, io)).rejects.toThrow();
    expect(JSON.parse(io.stdoutText())).toEqual({
      signedIn: false,
      apiUrl: 'http://127.0.0.1:9',
      reason: 'UNAUTHENTICATED',
      tokenSource: null,
    });
    const api = await fake(() => ({
      status: 401,
      body: { error: { code: 'TOKEN_REVOKED', message: 'The token was revoked.' } },
    }));
    const rejected = testIo({ json: true, apiUrl: api.url }, { env: { LATCH_TOKEN: patToken() } });
    await expect(status({}, rejected)).rejects.toThrow();
    expect(JSON.parse(rejected.stdoutText())).toMatchObject({
      signedIn: false,
      reason: 'TOKEN_REVOKED',
      tokenSource: 'env',
    });
  });

  it('never sends a stored token to another server', async () => {
    const api = await fake(server);
    const dir = tempDir();
    new ConfigStore(dir).update({ apiUrl: 'http://127.0.0.1:7420', token: patToken() });
    const err = await status({}, testIo({ apiUrl: api.url }, { configDir: dir })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('NotSignedInError');
    expect(api.seen).toHaveLength(0);
  });
});
