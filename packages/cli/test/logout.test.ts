import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run as logout } from '../src/commands/auth/logout.js';
import { ConfigStore } from '../src/lib/config.js';
import { CliError, EXIT } from '../src/lib/exit.js';
import { patToken, startFakeApi, tempDir, testIo, useFakeApi } from './helpers.js';

const fake = useFakeApi();

function signedInConfig(apiUrl: string, token: string): string {
  const dir = tempDir();
  new ConfigStore(dir).update({
    apiUrl,
    token,
    tokenId: 'pat_1',
    tokenExpiresAt: '2027-03-22T00:00:00.000Z',
    user: { id: 'usr_1', email: 'ana@example.com' },
    activeOrg: { id: 'org_1', name: 'acme' },
    links: { '/src/app': 'prj_1' },
  });
  return dir;
}

describe('latch logout', () => {
  it('revokes the token at the server, then keeps only apiUrl, activeOrg and other settings', async () => {
    const api = await fake(() => ({ status: 200, body: {} }));
    const token = patToken();
    const dir = signedInConfig(api.url, token);
    const io = testIo({}, { configDir: dir });
    await logout({}, io);

    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]!.path).toBe('/oauth/revoke');
    expect(api.seen[0]!.form?.get('token')).toBe(token);
    const stored = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    expect(stored).toEqual({
      apiUrl: api.url,
      activeOrg: { id: 'org_1', name: 'acme' },
      links: { '/src/app': 'prj_1' },
    });
    expect(statSync(`${dir}/config.json`).mode & 0o777).toBe(0o600);
    expect(io.stderrText()).toContain('Signed out ana@example.com');
    expect(io.stderrText()).not.toContain(token);
  });

  it('when not signed in, says so and succeeds without calling the server', async () => {
    const io = testIo({}, {});
    await logout({}, io);
    expect(io.stderrText()).toContain('You are not signed in');
  });

  it('with LATCH_TOKEN set, changes nothing (exit 2) and says how to sign out the stored login', async () => {
    const api = await fake(() => ({ status: 200, body: {} }));
    const dir = signedInConfig(api.url, patToken());
    const before = new ConfigStore(dir).data;
    const io = testIo({}, { configDir: dir, env: { LATCH_TOKEN: patToken() } });
    const err = (await logout({}, io).catch((e: unknown) => e)) as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toMatch(/LATCH_TOKEN is set.*nothing was changed/);
    expect(err.hint).toContain('env -u LATCH_TOKEN latch logout');
    expect(new ConfigStore(dir).data).toEqual(before);
    expect(api.seen).toEqual([]);
  });

  it('forgets the token locally even when the server is unreachable, and says how to revoke it', async () => {
    const api = await startFakeApi(() => ({}));
    await api.close(); // nothing listens on that port any more
    const dir = signedInConfig(api.url, patToken());
    const io = testIo({}, { configDir: dir });
    const err = await logout({}, io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).hint).toContain('latch pats revoke pat_1');
    const stored = new ConfigStore(dir).data;
    expect(stored.token).toBeUndefined();
    expect(stored.activeOrg).toEqual({ id: 'org_1', name: 'acme' });
  });
});
