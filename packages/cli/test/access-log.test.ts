import { generateToken } from '@latchkey/core';
import { afterEach, describe, expect, it } from 'vitest';
import { listAccess, sinceToIso } from '../src/lib/access-log.js';
import { CliError, EXIT } from '../src/lib/exit.js';
import { startFakeApi, testIo } from './helpers.js';

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

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function fake(pages: ReturnType<typeof entry>[][]) {
  const api = await startFakeApi((req) => {
    const i = req.query.get('cursor')
      ? Number(Buffer.from(req.query.get('cursor')!, 'base64url').toString())
      : 0;
    const items = pages[i] ?? [];
    return {
      body: {
        items,
        nextCursor: i + 1 < pages.length ? Buffer.from(String(i + 1)).toString('base64url') : null,
      },
    };
  });
  close = api.close;
  const env = { LATCH_TOKEN: generateToken('lk_pat_'), LATCH_API_URL: api.url };
  return { api, env };
}

describe('latch audit list --access', () => {
  it('sends the filters, follows pages up to --limit, prints names and never a value field', async () => {
    const { api, env } = await fake([
      [entry(3, ['B_KEY']), entry(2, ['A_KEY'])],
      [entry(1, ['A_KEY', 'C_KEY'])],
    ]);
    const io = testIo({ org: 'acme', json: true }, { env });
    await listAccess(
      { since: '2026-01-01T00:00:00Z', actor: 'ana@example.com', name: 'A_KEY', env: 'production' },
      io,
    );
    expect(io.stdoutText() && JSON.parse(io.stdoutText()).map((e: { id: string }) => e.id)).toEqual([
      '3',
      '2',
      '1',
    ]);
    expect(api.seen[0]?.path).toBe('/api/v1/orgs/acme/access-log');
    expect(Object.fromEntries(api.seen[0]!.query)).toMatchObject({
      since: '2026-01-01T00:00:00.000Z',
      actor: 'ana@example.com',
      name: 'A_KEY',
      env: 'production',
    });
    expect(api.seen).toHaveLength(2);

    const limited = testIo({ org: 'acme', json: true }, { env });
    await listAccess({ limit: '2' }, limited);
    expect(JSON.parse(limited.stdoutText())).toHaveLength(2);
    expect(api.seen.at(-1)?.query.get('limit')).toBe('2');

    const table = testIo({ org: 'acme' }, { env });
    await listAccess({}, table);
    expect(table.stdoutText()).toContain('A_KEY,C_KEY');
    expect(table.stdoutText()).toContain('ana@example.com');
  });

  it('says so when there is nothing; bad --since, --name and --limit are usage errors', async () => {
    const { env } = await fake([[]]);
    const io = testIo({ org: 'acme' }, { env });
    await listAccess({}, io);
    expect(io.stdoutText()).toContain('No reads of secret values in acme yet');
    for (const opts of [{ since: 'yesterday' }, { name: 'lower' }, { limit: '0' }, { limit: 'ten' }]) {
      const err = await listAccess(opts, testIo({ org: 'acme' }, { env })).catch((e: unknown) => e);
      expect(err, JSON.stringify(opts)).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(EXIT.usage);
      expect((err as CliError).hint).toBeTruthy();
    }
  });

  it('reads --since as a duration before now or as a date-time', () => {
    const now = Date.UTC(2026, 5, 1, 12);
    expect(sinceToIso('24h', now)).toBe('2026-05-31T12:00:00.000Z');
    expect(sinceToIso('30m', now)).toBe('2026-06-01T11:30:00.000Z');
    expect(sinceToIso('2026-05-01T08:00:00+02:00', now)).toBe('2026-05-01T06:00:00.000Z');
  });
});
