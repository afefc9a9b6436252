import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { capturedLogger } from '../helpers/logs.js';
import { addMember, call, secretsSetup } from '../secrets/fixtures.js';
import { accessRows, accessTableText } from './fixtures.js';

const captured = capturedLogger('debug');
const t = useTestApp({}, { logger: captured.logger });

// Values distinctive enough that finding one anywhere is a leak, not a coincidence.
const VALUES = {
  STRIPE_KEY: 'sk_live_Zq8v4Access1',
  DB_PASSWORD: 'pw-Access-9x7Lq2',
  EMPTY_ONE: 'e-Access-Kk3',
};

async function setup() {
  const owner = await t.signUp();
  const s = await secretsSetup(t, owner, ['production', 'staging']);
  for (const [name, value] of Object.entries(VALUES)) expect((await s.set(name, value)).statusCode).toBe(200);
  await s.deploy();
  const log = (query = '', token = owner.token) =>
    call(t, token, 'GET', `/api/v1/orgs/${s.org.id}/access-log${query ? `?${query}` : ''}`);
  return { owner, s, log };
}

function expectNoValues(text: string) {
  for (const value of Object.values(VALUES)) expect(text).not.toContain(value);
}

describe('access log: every read of a value writes exactly one entry, names only', () => {
  it('get, history --reveal, released (run, export, loadSecrets) and --latest each write one entry', async () => {
    const { owner, s } = await setup();
    // Writes, the names-only list and history without reveal return no value: no entry.
    await call(t, owner.token, 'GET', s.base);
    await call(t, owner.token, 'GET', `${s.base}/DB_PASSWORD/history`);
    expect(await accessRows(t, s.org.id)).toEqual([]);

    const paths: [string, string, string[]][] = [
      [`${s.base}/STRIPE_KEY`, 'secret.read', ['STRIPE_KEY']],
      [`${s.base}/DB_PASSWORD/history?reveal=true`, 'secret.history_revealed', ['DB_PASSWORD']],
      [
        s.url('production').replace(/\/secrets$/, '/released-secrets'),
        'secrets.released',
        Object.keys(VALUES),
      ],
      [
        s.url('production').replace(/\/secrets$/, '/released-secrets?latest=true'),
        'secrets.released',
        Object.keys(VALUES),
      ],
    ];
    for (const [i, [url, action, names]] of paths.entries()) {
      const requestId = `req-access-${i}-abcdef`;
      const res = await t.app.inject({
        method: 'GET',
        url,
        headers: { ...t.auth(owner.token), 'x-request-id': requestId },
        remoteAddress: '203.0.113.7',
      });
      expect(res.statusCode, res.body).toBe(200);
      const rows = await accessRows(t, s.org.id);
      expect(rows, url).toHaveLength(i + 1);
      expect(rows.at(-1)).toEqual({
        action,
        actor_type: 'user',
        actor_id: owner.userId,
        actor_label: owner.email,
        project: 'acme',
        environment: 'production',
        names: [...names].sort(),
        data: expect.any(Object),
        ip: '203.0.113.7',
        request_id: requestId,
      });
    }
    expect((await accessRows(t, s.org.id)).at(-2)?.data).toEqual({ source: 'release', release: 1, count: 3 });
    // Never a value: not in the stored rows (every column, every org), not in the server's log.
    expectNoValues(await accessTableText(t));
    expectNoValues(captured.lines.join('\n'));
    expect(captured.lines.length).toBeGreaterThan(0);
  });

  it('a failed read writes nothing; a read whose entry cannot be stored answers no value', async () => {
    const { owner, s } = await setup();
    expect((await call(t, owner.token, 'GET', `${s.base}/NOT_THERE`)).statusCode).toBe(404);
    expect((await call(t, owner.token, 'GET', `${s.base}/STRIPE_KEY?version=9`)).statusCode).toBe(404);
    expect(await accessRows(t, s.org.id)).toEqual([]);

    // The entry is written before the answer: when it cannot be stored, the value does not leave.
    await t.database.db.execute(sql`ALTER TABLE access_events RENAME TO access_events_away`);
    try {
      const res = await call(t, owner.token, 'GET', `${s.base}/STRIPE_KEY`);
      expect(res.statusCode).toBe(500);
      expectNoValues(res.body);
    } finally {
      await t.database.db.execute(sql`ALTER TABLE access_events_away RENAME TO access_events`);
    }
    expect(await accessRows(t, s.org.id)).toEqual([]);
  });

  it('is append-only: an entry cannot be changed', async () => {
    const { owner, s } = await setup();
    await call(t, owner.token, 'GET', `${s.base}/STRIPE_KEY`);
    await expect(
      t.database.db.execute(sql`UPDATE access_events SET names = '{}' WHERE org_id = ${s.org.id}`),
    ).rejects.toThrow();
    expect((await accessRows(t, s.org.id))[0]?.names).toEqual(['STRIPE_KEY']);
  });
});

describe('reads of the audit log are in the access log too', () => {
  it('listing and exporting the audit log each write one entry (filters, no rows)', async () => {
    const who = await t.signUp();
    const actor = {
      ...who.actor,
      org: await t.app.services.orgs.resolve(who.actor.principal, who.personalOrgId),
    };
    await t.app.services.audit.list(actor, who.personalOrgId, { action: 'project.*' });
    const stream = await t.app.services.audit.export(actor, who.personalOrgId, {});
    for await (const _ of stream) {
      // drained: the entry is written when the export starts
    }
    const rows = await accessRows(t, who.personalOrgId);
    expect(rows.map((r) => [r.action, r.names, r.data])).toEqual([
      ['audit.listed', [], { action: 'project.*' }],
      ['audit.exported', [], {}],
    ]);
    expect(rows[0]).toMatchObject({ actor_id: who.userId, actor_label: who.email, ip: '127.0.0.1' });
  });
});

describe('GET /api/v1/orgs/:org/access-log', () => {
  it('lists newest first, pages, and filters by since, actor, name and env', async () => {
    const { owner, s, log } = await setup();
    const dev = await addMember(t, owner.token, s.org.id, 'developer');
    await call(t, owner.token, 'GET', `${s.base}/STRIPE_KEY`);
    t.clock.advance(60_000);
    const since = t.clock.now().toISOString();
    await call(t, dev.token, 'GET', `${s.base}/DB_PASSWORD`);
    expect((await s.set('STRIPE_KEY', 'staging-value-x', owner.token, 'staging')).statusCode).toBe(200);
    await call(t, owner.token, 'GET', `${s.url('staging')}/STRIPE_KEY`);

    const all = await log();
    expect(all.statusCode, all.body).toBe(200);
    expect(
      all.json().items.map((e: { names: string[]; environment: string }) => [e.environment, e.names]),
    ).toEqual([
      ['staging', ['STRIPE_KEY']],
      ['production', ['DB_PASSWORD']],
      ['production', ['STRIPE_KEY']],
    ]);
    expect(all.json().items[1]).toMatchObject({
      action: 'secret.read',
      project: 'acme',
      actor: { type: 'user', id: dev.userId, label: dev.email },
    });
    expect(all.json().nextCursor).toBeNull();
    expectNoValues(all.body);

    const first = await log('limit=2');
    expect(first.json().items).toHaveLength(2);
    const second = await log(`limit=2&cursor=${first.json().nextCursor}`);
    expect(second.json()).toMatchObject({
      items: [{ environment: 'production', names: ['STRIPE_KEY'] }],
      nextCursor: null,
    });

    const names = (res: Awaited<ReturnType<typeof log>>) =>
      res.json().items.map((e: { names: string[] }) => e.names.join(','));
    expect(names(await log(`since=${encodeURIComponent(since)}`))).toEqual(['STRIPE_KEY', 'DB_PASSWORD']);
    expect(names(await log(`actor=${encodeURIComponent(dev.email)}`))).toEqual(['DB_PASSWORD']);
    expect(names(await log(`actor=${dev.userId}`))).toEqual(['DB_PASSWORD']);
    expect(names(await log('name=STRIPE_KEY'))).toEqual(['STRIPE_KEY', 'STRIPE_KEY']);
    expect(names(await log('env=staging'))).toEqual(['STRIPE_KEY']);
    expect(names(await log('env=production&name=STRIPE_KEY'))).toEqual(['STRIPE_KEY']);
  });

  it('bad filters answer 400 with a hint and change nothing', async () => {
    const { log } = await setup();
    for (const q of [
      'since=yesterday',
      'since=24h',
      'name=lower_case',
      'limit=0',
      'limit=501',
      'cursor=bm90LWFuLWlk',
      'cursor=a%2Fb',
      'extra=1',
    ]) {
      const res = await log(q);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code, q).toBe('INVALID_INPUT');
      expect(res.json().error.hint, q).toBeTruthy();
    }
  });

  it('a viewer gets 403 with a hint (no audit:read); another org sees nothing of it', async () => {
    const { owner, s, log } = await setup();
    await call(t, owner.token, 'GET', `${s.base}/STRIPE_KEY`);
    const viewer = await addMember(t, owner.token, s.org.id, 'viewer');
    const denied = await log('', viewer.token);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(denied.json().error.message).toContain('audit:read');
    expect(denied.json().error.hint).toBeTruthy();
    // SPEC 3: every other role reads the audit resource.
    for (const role of ['developer', 'admin'] as const) {
      const member = await addMember(t, owner.token, s.org.id, role);
      expect((await log('', member.token)).json().items, role).toHaveLength(1);
    }

    // Another org's owner: the org answers as if it did not exist, and their own log is empty.
    const other = await t.signUp();
    const foreign = await log('', other.token);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).not.toContain('STRIPE_KEY');
    const own = await call(t, other.token, 'GET', `/api/v1/orgs/${other.personalOrgId}/access-log`);
    expect(own.statusCode).toBe(200);
    expect(own.json().items).toEqual([]);
  });
});
