import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashChained } from '../../packages/server/src/services/audit/chain-encoding.js';
import { createTestDatabase, type TestDatabase } from '../../packages/server/src/store/test-database.js';
import { deviceLogin } from './helpers/device-login.js';
import { latch, tempDir } from './helpers/latch.js';
import { type RunningServer, startServer } from './helpers/server.js';

// The real server and the real `latch` binary; the tampering is done directly in PostgreSQL,
// as someone with database access would, and `latch audit verify` must name the row.
let server: RunningServer;
let database: TestDatabase;
let pool: pg.Pool;
const owner = tempDir('audit-owner');
const viewer = tempDir('audit-viewer');
const files = tempDir('audit-files');

const asOwner = (args: string[]) => latch(args, { configDir: owner.path, timeoutMs: 60_000 });

beforeAll(async () => {
  database = await createTestDatabase(inject('adminUrl'));
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  server = await startServer({ env: { LATCH_DATABASE_URL: database.url } });
  await deviceLogin(server.url, owner.path, 'aud@example.com');
  await deviceLogin(server.url, viewer.path, 'view@example.com');
  for (const args of [
    ['org', 'create', 'Auditco', '--use'],
    ['team', 'invite', 'view@example.com', '--role', 'viewer'],
  ]) {
    const res = await asOwner(args);
    expect(res.code, res.stderr).toBe(0);
  }
  const [inv] = (await latch(['invites', 'list', '--json'], { configDir: viewer.path })).json();
  expect((await latch(['invites', 'accept', inv.id], { configDir: viewer.path })).code).toBe(0);
  expect((await latch(['org', 'use', 'auditco'], { configDir: viewer.path })).code).toBe(0);
  for (const name of ['aud-one', 'aud-two', 'aud-three']) {
    const res = await asOwner(['projects', 'create', name]);
    expect(res.code, res.stderr).toBe(0);
  }
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await pool?.end();
  await database?.drop();
  for (const dir of [owner, viewer, files]) dir.remove();
});

async function orgId(name: string): Promise<string> {
  const res = await pool.query<{ id: string }>('SELECT id FROM orgs WHERE lower(name) = lower($1)', [name]);
  return res.rows[0]!.id;
}

type Row = { id: string; seq: number; hash: Buffer };
async function rowsOf(org: string): Promise<Row[]> {
  const res = await pool.query<{ id: string; seq: string; hash: Buffer }>(
    'SELECT id, seq, hash FROM audit_events WHERE org_id = $1 ORDER BY seq',
    [org],
  );
  return res.rows.map((r) => ({ id: String(r.id), seq: Number(r.seq), hash: r.hash }));
}

/** A fresh org with its own chain of at least eight rows, written through the real CLI. */
let orgs = 0;
async function freshOrg(): Promise<{ name: string; id: string; rows: Row[] }> {
  const name = `Tamper${++orgs}`;
  expect((await asOwner(['org', 'create', name])).code).toBe(0);
  const made = await Promise.all(
    [1, 2, 3, 4, 5, 6].map((i) => asOwner(['--org', name, 'projects', 'create', `t${orgs}-p${i}`])),
  );
  for (const r of made) expect(r.code, r.stderr).toBe(0);
  const id = await orgId(name);
  const ok = await asOwner(['--org', name, 'audit', 'verify', '--json']);
  expect(ok.code, ok.stderr).toBe(0);
  expect(ok.json()).toMatchObject({ ok: true });
  return { name, id, rows: await rowsOf(id) };
}

async function verify(name: string, extra: string[] = []) {
  // Each run appends its own audit.verified row at the end: the JSON answer comes first, so it
  // describes the chain exactly as tampered; the human one follows.
  const json = await asOwner(['--org', name, 'audit', 'verify', '--json', ...extra]);
  const res = await asOwner(['--org', name, 'audit', 'verify', ...extra]);
  expect(res.code).toBe(json.code);
  return { res, result: json.json(), code: json.code };
}

describe('latch audit list, export and checkpoint through the real binary', () => {
  it('lists newest first with filters and pages; the read itself is recorded', async () => {
    const listed = await asOwner(['audit', 'list', '--action', 'project.*', '--since', '1h', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const page = listed.json();
    expect(page.items.map((e: { action: string }) => e.action)).toEqual([
      'project.created',
      'project.created',
      'project.created',
    ]);
    expect(page.items[0].seq).toBeGreaterThan(page.items[2].seq);
    expect(page.items[0].actor.label).toBe('aud@example.com');

    const paged = await asOwner(['audit', 'list', '--limit', '2']);
    expect(paged.code, paged.stderr).toBe(0);
    expect(paged.stdout).toMatch(/SEQ\s+TIME\s+ACTOR\s+ACTION\s+TARGET/);
    const cursor = /--cursor (\S+)/.exec(paged.stdout)?.[1];
    expect(cursor).toBeDefined();
    const next = await asOwner(['audit', 'list', '--limit', '2', '--cursor', cursor!, '--json']);
    expect(next.json().items).toHaveLength(2);

    const reads = (await asOwner(['audit', 'list', '--action', 'audit.listed', '--json'])).json().items;
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.at(-1).data).toMatchObject({ action: 'project.*' });

    const byActor = await asOwner(['audit', 'list', '--actor', 'nobody@example.com']);
    expect(byActor.stdout).toContain('No audit events');
    const bad = await asOwner(['audit', 'list', '--since', 'last tuesday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since 24h');
  });

  it('a viewer may not read the audit log (no audit:read)', async () => {
    const res = await latch(['audit', 'list'], { configDir: viewer.path });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('audit:read');
  });

  it('exports NDJSON to stdout, oldest first, progress and count on stderr', async () => {
    const res = await asOwner(['audit', 'export', '--since', '30d', '--format', 'ndjson']);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(5);
    for (let i = 1; i < lines.length; i++) {
      expect(lines[i].seq).toBe(lines[i - 1].seq + 1);
      expect(lines[i].prevHash).toBe(lines[i - 1].hash);
    }
    expect(res.stderr).toContain(`Exported ${lines.length} audit events`);
    const recorded = (await asOwner(['audit', 'list', '--action', 'audit.exported', '--json'])).json();
    expect(recorded.items[0].data).toHaveProperty('since');
  });

  it('writes a signed checkpoint to a file and never overwrites one', async () => {
    const file = join(files.path, 'cp.json');
    const res = await asOwner(['audit', 'checkpoint', '--out', file]);
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
    const cp = JSON.parse(readFileSync(file, 'utf8'));
    expect(cp).toMatchObject({ type: 'latchkey.audit.checkpoint', v: 1, org: await orgId('Auditco') });
    expect(cp.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const again = await asOwner(['audit', 'checkpoint', '--out', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    const checked = await asOwner(['audit', 'verify', '--from-checkpoint', file, '--json']);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.json()).toMatchObject({ ok: true, checkpoint: { seq: cp.seq, matched: true } });
  });
});

describe('latch audit verify names the first bad row after direct database edits', () => {
  it('a row edited', async () => {
    const { name, rows } = await freshOrg();
    await pool.query(`UPDATE audit_events SET data = '{"name":"forged"}' WHERE id = $1`, [rows[3]!.id]);
    const { res, result, code } = await verify(name);
    expect(code).toBe(1);
    expect(result).toMatchObject({ ok: false, firstBad: { seq: 4, id: rows[3]!.id, reason: 'edited' } });
    expect(res.stdout).toContain(`broken at seq 4 (row ${rows[3]!.id}): edited`);
  });

  it('a row deleted', async () => {
    const { name, rows } = await freshOrg();
    await pool.query('DELETE FROM audit_events WHERE id = $1', [rows[4]!.id]);
    const { res, result, code } = await verify(name);
    expect(code).toBe(1);
    expect(result).toMatchObject({ ok: false, firstBad: { seq: 5, reason: 'deleted' } });
    expect(res.stdout).toContain('broken at seq 5');
    expect(res.stdout).toContain('deleted');
  });

  it('a row inserted, hashed correctly, the rest renumbered', async () => {
    const { name, id: org, rows } = await freshOrg();
    for (const r of rows.slice(5).reverse()) {
      await pool.query('UPDATE audit_events SET seq = seq + 1 WHERE id = $1', [r.id]);
    }
    const at = new Date();
    const forged = hashChained(
      {
        orgId: org,
        actorType: 'user',
        actorId: null,
        actorLabel: 'aud@example.com',
        ip: null,
        requestId: null,
        action: 'secret.deleted',
        targetType: 'secret',
        targetId: 'forged',
        createdAt: at,
        data: {},
      },
      rows[4]!.hash,
    );
    const inserted = await pool.query<{ id: string }>(
      `INSERT INTO audit_events (org_id, actor_type, actor_label, action, target_type, target_id, data,
         created_at, seq, prev_hash, hash)
       VALUES ($1, 'user', 'aud@example.com', 'secret.deleted', 'secret', 'forged', '{}', $2, 6, $3, $4)
       RETURNING id`,
      [org, at, rows[4]!.hash, forged],
    );
    await pool.query('UPDATE audit_chain_heads SET seq = seq + 1 WHERE chain = $1', [org]);
    const forgedId = String(inserted.rows[0]!.id);
    const { res, result, code } = await verify(name);
    expect(code).toBe(1);
    expect(result).toMatchObject({ ok: false, firstBad: { seq: 6, id: forgedId, reason: 'inserted' } });
    expect(res.stdout).toContain(`broken at seq 6 (row ${forgedId}): inserted`);
  });

  it('two rows reordered', async () => {
    const { name, rows } = await freshOrg();
    await pool.query('UPDATE audit_events SET seq = -1 WHERE id = $1', [rows[5]!.id]);
    await pool.query('UPDATE audit_events SET seq = 6 WHERE id = $1', [rows[6]!.id]);
    await pool.query('UPDATE audit_events SET seq = 7 WHERE id = $1', [rows[5]!.id]);
    const { res, result, code } = await verify(name);
    expect(code).toBe(1);
    expect(result).toMatchObject({ ok: false, firstBad: { seq: 6, id: rows[6]!.id, reason: 'reordered' } });
    expect(res.stdout).toContain(`broken at seq 6 (row ${rows[6]!.id}): reordered`);
  });

  it('the newest rows cut off after a checkpoint kept in a file, tracks covered in the database', async () => {
    const { name, id: org } = await freshOrg();
    const file = join(files.path, `${name}.json`);
    expect((await asOwner(['--org', name, 'audit', 'checkpoint', '--out', file])).code).toBe(0);
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    const rows = await rowsOf(org);
    const keep = kept.seq - 3;
    const last = rows.find((r) => r.seq === keep)!;
    await pool.query('DELETE FROM audit_events WHERE org_id = $1 AND seq > $2', [org, keep]);
    await pool.query('UPDATE audit_chain_heads SET seq = $2, hash = $3 WHERE chain = $1', [
      org,
      keep,
      last.hash,
    ]);
    await pool.query('DELETE FROM audit_checkpoints WHERE chain = $1', [org]);
    // The database alone looks consistent again (verify appends its own record, still chained)…
    const alone = await asOwner(['--org', name, 'audit', 'verify', '--json']);
    expect(alone.code, alone.stderr).toBe(0);
    // …the checkpoint kept outside does not: the row at its seq is not the one it signed.
    const { res, result, code } = await verify(name, ['--from-checkpoint', file]);
    expect(code).toBe(1);
    expect(result).toMatchObject({ ok: false, checkpoint: { seq: kept.seq, matched: false } });
    expect(['truncated', 'rewritten']).toContain(result.firstBad.reason);
    expect(res.stdout).toMatch(/broken at seq \d+: (truncated|rewritten)/);
    expect(result.firstBad.seq).toBeLessThanOrEqual(kept.seq);
    expect(result.firstBad.seq).toBeGreaterThan(keep);
  });

  it('an altered checkpoint file is refused, not trusted', async () => {
    const file = join(files.path, 'cp.json');
    const cp = JSON.parse(readFileSync(file, 'utf8'));
    const altered = join(files.path, 'altered.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(altered, JSON.stringify({ ...cp, seq: cp.seq + 1 }));
    const res = await asOwner(['audit', 'verify', '--from-checkpoint', altered]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('altered');
  });
});
