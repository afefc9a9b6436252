import { describe, expect, it } from 'vitest';
import { run as list } from '../src/commands/audit/list.js';
import { sinceToIso } from '../src/commands/audit/since.js';
import { CliError, EXIT } from '../src/lib/exit.js';
import { patToken, testIo, useFakeApi } from './helpers.js';

const fake = useFakeApi();

const EVENT = (seq: number, action: string) => ({
  id: String(seq),
  seq,
  at: '2026-12-06T10:00:00.000Z',
  actor: { type: 'user', id: 'usr_1', label: 'ana@example.com', ip: '127.0.0.1', requestId: 'req_1' },
  action,
  target: { type: 'project', id: 'prj_1' },
  data: {},
  hash: 'ab'.repeat(32),
  prevHash: 'cd'.repeat(32),
});

describe('latch audit list', () => {
  it('sends the filters, shows newest first and says how to get the next page', async () => {
    const api = await fake(() => ({
      body: { items: [EVENT(7, 'project.created'), EVENT(6, 'secret.set')], nextCursor: 'WzZd' },
    }));
    const io = testIo({ org: 'acme' }, { env: { LATCH_TOKEN: patToken(), LATCH_API_URL: api.url } });
    await list({ since: '24h', actor: 'ana@example.com', action: 'secret.*', limit: '2' }, io);
    const q = api.seen[0]!.query;
    expect(api.seen[0]!.path).toBe('/api/v1/orgs/acme/audit');
    expect(q.get('actor')).toBe('ana@example.com');
    expect(q.get('action')).toBe('secret.*');
    expect(q.get('limit')).toBe('2');
    const since = Date.parse(q.get('since')!);
    expect(Math.abs(Date.now() - 24 * 3600_000 - since)).toBeLessThan(60_000);
    const out = io.stdoutText();
    expect(out.indexOf('project.created')).toBeLessThan(out.indexOf('secret.set'));
    expect(out).toContain('ana@example.com');
    expect(out).toContain('project:prj_1');
    expect(out).toContain('--cursor WzZd');
    expect(out).toContain(`--since ${q.get('since')}`);
  });

  it('--json prints the page with its cursor', async () => {
    const api = await fake(() => ({ body: { items: [EVENT(1, 'org.created')], nextCursor: null } }));
    const io = testIo(
      { org: 'acme', json: true },
      { env: { LATCH_TOKEN: patToken(), LATCH_API_URL: api.url } },
    );
    await list({ limit: '50' }, io);
    expect(JSON.parse(io.stdoutText())).toEqual({ items: [EVENT(1, 'org.created')], nextCursor: null });
  });

  it('refuses a bad --since or --limit before any request (exit 2)', async () => {
    const io = testIo(
      { org: 'acme' },
      { env: { LATCH_TOKEN: patToken(), LATCH_API_URL: 'http://127.0.0.1:9' } },
    );
    for (const opts of [{ since: 'yesterday', limit: '50' }, { limit: '0' }]) {
      const err = await list(opts, io).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(EXIT.usage);
    }
  });

  it('reads --since as a duration ago or a date-time', () => {
    const now = Date.parse('2026-12-07T00:00:00.000Z');
    expect(sinceToIso('30d', now)).toBe('2026-11-07T00:00:00.000Z');
    expect(sinceToIso('2026-12-01T00:00:00Z', now)).toBe('2026-12-01T00:00:00Z');
    expect(sinceToIso(undefined, now)).toBeUndefined();
  });
});
