import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

let server: RunningServer;
const home = tempDir('access-owner');
const app = tempDir('access-app');
const EMAIL = 'rowan@example.com';
// Distinctive values: finding one in the log output or the server's logs is a leak.
const VALUES = { PAYMENT_KEY: 'pk_Access_e2e_7Qm2', SESSION_SALT: 'salt-Access-e2e-Yt9' };

const run = (args: string[]) => latch(args, { configDir: home.path, cwd: app.path });

type Entry = {
  action: string;
  names: string[];
  environment: string;
  actor: { label: string; requestId: string };
};

beforeAll(async () => {
  server = await startServer();
  await deviceLogin(server.url, home.path, EMAIL);
  for (const args of [
    ['org', 'create', 'Accessco', '--use'],
    ['projects', 'create', 'shop'],
    ['link', 'shop'],
    ['env', 'create', 'staging'],
    ...Object.entries(VALUES).map(([name, value]) => ['secrets', 'set', name, value, '--env', 'staging']),
    ['deploy', '--env', 'staging', '--yes'],
  ]) {
    const res = await run(args);
    expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
  }
});
afterAll(async () => {
  await server?.stop();
  for (const dir of [home, app]) dir.remove();
});

describe('latch audit list --access through the real binary', () => {
  it('secrets get, run, export and history --reveal each show up once, names only, newest first', async () => {
    const before = await run(['audit', 'list', '--access', '--json']);
    expect(before.code, before.stderr).toBe(0);
    expect(before.json()).toEqual({ items: [], nextCursor: null });

    const got = await run(['secrets', 'get', 'PAYMENT_KEY', '--env', 'staging']);
    expect(got.stdout).toBe(`${VALUES.PAYMENT_KEY}\n`);
    const ran = await run([
      'run',
      '--env',
      'staging',
      '--',
      'node',
      '-e',
      'console.log(process.env.SESSION_SALT)',
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trim()).toBe(VALUES.SESSION_SALT);
    expect((await run(['secrets', 'export', '--env', 'staging', '--latest'])).code).toBe(0);
    expect((await run(['secrets', 'history', 'SESSION_SALT', '--env', 'staging', '--reveal'])).code).toBe(0);
    // Reads that return no value are not in the access log.
    expect((await run(['secrets', 'list', '--env', 'staging'])).code).toBe(0);

    const listed = await run(['audit', 'list', '--access', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const entries: Entry[] = listed.json().items;
    expect(entries.map((e) => [e.action, e.names])).toEqual([
      ['secret.history_revealed', ['SESSION_SALT']],
      ['secrets.released', ['PAYMENT_KEY', 'SESSION_SALT']], // export --latest
      ['secrets.released', ['PAYMENT_KEY', 'SESSION_SALT']], // run
      ['secret.read', ['PAYMENT_KEY']],
    ]);
    for (const e of entries) {
      expect(e.environment).toBe('staging');
      expect(e.actor.label).toBe(EMAIL);
      expect(e.actor.requestId).toBeTruthy();
    }

    const byName = await run([
      'audit',
      'list',
      '--access',
      '--name',
      'PAYMENT_KEY',
      '--since',
      '1h',
      '--json',
    ]);
    expect(byName.json().items.map((e: Entry) => e.action)).toEqual([
      'secrets.released',
      'secrets.released',
      'secret.read',
    ]);
    const byActor = await run(['audit', 'list', '--access', '--actor', 'someone@else.example', '--json']);
    expect(byActor.json().items).toEqual([]);

    const table = await run(['audit', 'list', '--access']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('secret.read');
    expect(table.stdout).toContain('PAYMENT_KEY');

    // Never a value: not in what the log shows, not in the server's own log output.
    for (const value of Object.values(VALUES)) {
      expect(listed.stdout + table.stdout).not.toContain(value);
      expect(server.logs.stdout + server.logs.stderr).not.toContain(value);
    }
  });

  it('listing the audit log is itself a read in the access log; the audit log keeps only changes', async () => {
    const audit = await run(['audit', 'list', '--action', 'secret.*', '--json']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.json().items.map((e: { action: string }) => e.action)).toEqual(['secret.set', 'secret.set']);
    const reads = await run(['audit', 'list', '--access', '--json']);
    expect(reads.json().items[0]).toMatchObject({
      action: 'audit.listed',
      names: [],
      data: { action: 'secret.*' },
    });
    const paged = await run(['audit', 'list', '--access', '--limit', '2']);
    const cursor = /--cursor (\S+)/.exec(paged.stdout)?.[1];
    expect(cursor, paged.stdout).toBeDefined();
    const next = await run(['audit', 'list', '--access', '--limit', '2', '--cursor', cursor!, '--json']);
    expect(next.json().items).toHaveLength(2);
  });

  it('a bad filter is a usage error (exit 2) with a hint', async () => {
    const since = await run(['audit', 'list', '--access', '--since', 'last tuesday']);
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('24h');
    const name = await run(['audit', 'list', '--access', '--name', 'lower_case']);
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('UPPER_SNAKE_CASE');
  });
});
