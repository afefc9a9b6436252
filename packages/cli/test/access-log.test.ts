import { generateToken } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { run as list } from '../src/commands/audit/list.js';
import { CliError, EXIT } from '../src/lib/exit.js';
import { testIo, useFakeApi } from './helpers.js';

const entry = (id: number, names: string[]) => ({
  id: String(id),
  at: new Date(Date.UTC(2026, 0, 1, 0, id)).toISOString(),
  actor: { type: 'user', id: 'usr_1', label: 'ana@example.com', ip: '203.0.113.9', requestId: `req-${id}` },
  action: 'secret.read',
  project: 'acme',
  environment: 'production',
  names,
  data: { version: 1 },
});

const fakeApi = useFakeApi();

async function fake(body: { items: ReturnType<typeof entry>[]; nextCursor: string | null }) {
  const api = await fakeApi(() => ({ body }));
  return { api, env: { LATCH_TOKEN: generateToken('lk_pat_'), LATCH_API_URL: api.url } };
}

describe('latch audit list --access', () => {
  it('calls the access log with the filters and prints one page: names, never a value', async () => {
    const { api, env } = await fake({
      items: [entry(2, ['B_KEY']), entry(1, ['A_KEY', 'C_KEY'])],
      nextCursor: 'MQ',
    });
    const io = testIo({ org: 'acme', json: true }, { env });
    await list(
      {
        access: true,
        since: '2026-01-01T00:00:00Z',
        actor: 'ana@example.com',
        name: 'A_KEY',
        env: 'production',
        limit: '2',
      },
      io,
    );
    expect(JSON.parse(io.stdoutText())).toMatchObject({
      items: [{ id: '2' }, { id: '1' }],
      nextCursor: 'MQ',
    });
    expect(api.seen[0]?.path).toBe('/api/v1/orgs/acme/access-log');
    expect(Object.fromEntries(api.seen[0]!.query)).toEqual({
      since: '2026-01-01T00:00:00Z',
      actor: 'ana@example.com',
      name: 'A_KEY',
      env: 'production',
      limit: '2',
    });

    const table = testIo({ org: 'acme' }, { env });
    await list({ access: true, name: 'A_KEY', limit: '50' }, table);
    expect(table.stdoutText()).toContain('A_KEY,C_KEY');
    expect(table.stdoutText()).toContain('ana@example.com');
    expect(table.stdoutText()).toContain('More: latch audit list --access --name A_KEY --cursor MQ');
  });

  it('says so when there is nothing; bad or mixed flags are usage errors with a hint', async () => {
    const { api, env } = await fake({ items: [], nextCursor: null });
    const io = testIo({ org: 'acme' }, { env });
    await list({ access: true, limit: '50' }, io);
    expect(io.stdoutText()).toContain('No reads of secret values in acme yet');
    for (const opts of [
      { access: true, since: 'yesterday', limit: '50' },
      { access: true, name: 'lower', limit: '50' },
      { access: true, action: 'secret.*', limit: '50' },
      { name: 'A_KEY', limit: '50' },
      { env: 'production', limit: '50' },
    ]) {
      const err = await list(opts, testIo({ org: 'acme' }, { env })).catch((e: unknown) => e);
      expect(err, JSON.stringify(opts)).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(EXIT.usage);
      expect((err as CliError).hint).toBeTruthy();
    }
    expect(api.seen).toHaveLength(1);
  });
});
