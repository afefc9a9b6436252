import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/services/audit/audit.service.js';
import { type ChainedContent, GENESIS_HASH, hashChained } from '../../src/services/audit/chain-encoding.js';
import { verifyFast } from '../../src/services/audit/verify-fast.js';
import { useTestDatabase } from '../helpers/db.js';
import { appendMany, auditLog, newOrgId, rowsOf } from './fixtures.js';

const t = useTestDatabase();
const exec = (q: ReturnType<typeof sql>) => t.database.db.execute(q);

/** A chain of ten rows, and the audit-log service to verify it with. */
async function chainOfTen() {
  const org = newOrgId();
  await appendMany(t.database, org, 10);
  const log = auditLog(t.database);
  expect(await log.service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 10 });
  return { org, log, rows: await rowsOf(t.database, org) };
}

describe('verifyChain names the first bad row after direct database edits', () => {
  it('an edited row', async () => {
    const { org, log, rows } = await chainOfTen();
    await exec(sql`UPDATE audit_events SET data = '{"i": 99}' WHERE id = ${rows[4]!.id}`);
    const result = await log.service.internal.verifyChain(org);
    expect(result).toMatchObject({
      ok: false,
      rows: 5,
      firstBad: { seq: 5, id: rows[4]!.id, reason: 'edited' },
    });
  });

  it('an edited actor, time or target, each covered by the hash', async () => {
    const { org, log, rows } = await chainOfTen();
    await exec(
      sql`UPDATE audit_events SET created_at = created_at + interval '1 ms' WHERE id = ${rows[2]!.id}`,
    );
    await exec(sql`UPDATE audit_events SET actor_label = 'someone else' WHERE id = ${rows[6]!.id}`);
    expect((await log.service.internal.verifyChain(org)).firstBad).toMatchObject({
      seq: 3,
      reason: 'edited',
    });
  });

  it('a deleted row (a gap in seq)', async () => {
    const { org, log, rows } = await chainOfTen();
    await exec(sql`DELETE FROM audit_events WHERE id = ${rows[3]!.id}`);
    const result = await log.service.internal.verifyChain(org);
    expect(result).toMatchObject({ ok: false, firstBad: { seq: 4, id: null, reason: 'deleted' } });
    expect(result.firstBad!.detail).toContain(`row ${rows[4]!.id} (seq 5) follows seq 3`);
  });

  it('a deleted row with the rest renumbered to hide the gap', async () => {
    const { org, log, rows } = await chainOfTen();
    await exec(sql`DELETE FROM audit_events WHERE id = ${rows[3]!.id}`);
    for (const r of rows.slice(4)) {
      await exec(sql`UPDATE audit_events SET seq = seq - 1 WHERE id = ${r.id}`);
    }
    await exec(sql`UPDATE audit_chain_heads SET seq = seq - 1 WHERE chain = ${org}`);
    expect((await log.service.internal.verifyChain(org)).firstBad).toMatchObject({
      seq: 4,
      id: rows[4]!.id,
      reason: 'deleted',
    });
  });

  it('an inserted row, hashed correctly by someone who knows the encoding, the rest renumbered', async () => {
    const { org, log, rows } = await chainOfTen();
    // Make room at seq 6 (from the top, so the unique index never sees two rows at one seq).
    for (const r of rows.slice(5).reverse()) {
      await exec(sql`UPDATE audit_events SET seq = seq + 1 WHERE id = ${r.id}`);
    }
    const at = new Date('2026-06-01T12:00:00.000Z');
    const forged = hashChained(
      {
        orgId: org,
        actorType: 'system',
        actorId: null,
        actorLabel: 'test',
        ip: null,
        requestId: null,
        action: 'test.changed',
        targetType: 'thing',
        targetId: 'forged',
        createdAt: at,
        data: {},
      },
      rows[4]!.hash,
    );
    const inserted = await exec(sql`
      INSERT INTO audit_events (org_id, actor_type, actor_label, action, target_type, target_id, data,
        created_at, seq, prev_hash, hash)
      VALUES (${org}, 'system', 'test', 'test.changed', 'thing', 'forged', '{}', ${at}, 6, ${rows[4]!.hash}, ${forged})
      RETURNING id`);
    await exec(sql`UPDATE audit_chain_heads SET seq = 11 WHERE chain = ${org}`);
    const id = String((inserted.rows[0] as { id: string }).id);
    expect((await log.service.internal.verifyChain(org)).firstBad).toMatchObject({
      seq: 6,
      id,
      reason: 'inserted',
    });
  });

  it('an inserted row with no place in the chain (no seq)', async () => {
    const { org, log } = await chainOfTen();
    const inserted = await exec(sql`
      INSERT INTO audit_events (org_id, actor_type, action) VALUES (${org}, 'user', 'secret.deleted') RETURNING id`);
    const id = String((inserted.rows[0] as { id: string }).id);
    expect((await log.service.internal.verifyChain(org)).firstBad).toMatchObject({
      seq: null,
      id,
      reason: 'inserted',
    });
  });

  it('two rows swapped (reordered)', async () => {
    const { org, log, rows } = await chainOfTen();
    await exec(sql`UPDATE audit_events SET seq = -1 WHERE id = ${rows[6]!.id}`);
    await exec(sql`UPDATE audit_events SET seq = 7 WHERE id = ${rows[7]!.id}`);
    await exec(sql`UPDATE audit_events SET seq = 8 WHERE id = ${rows[6]!.id}`);
    expect((await log.service.internal.verifyChain(org)).firstBad).toMatchObject({
      seq: 7,
      id: rows[7]!.id,
      reason: 'reordered',
    });
  });

  it('the newest rows cut off (the head row still knows)', async () => {
    const { org, log, rows } = await chainOfTen();
    await exec(sql`DELETE FROM audit_events WHERE id IN (${rows[8]!.id}, ${rows[9]!.id})`);
    expect(await log.service.internal.verifyChain(org)).toMatchObject({
      ok: false,
      rows: 8,
      firstBad: { seq: 9, id: null, reason: 'truncated' },
    });
  });

  it('batches join up: a break on a batch boundary is found and classified', async () => {
    const { org, log, rows } = await chainOfTen();
    await exec(sql`UPDATE audit_events SET seq = -1 WHERE id = ${rows[3]!.id}`);
    await exec(sql`UPDATE audit_events SET seq = 4 WHERE id = ${rows[4]!.id}`);
    await exec(sql`UPDATE audit_events SET seq = 5 WHERE id = ${rows[3]!.id}`);
    expect(await log.service.internal.verifyChain(org, { batchSize: 4 })).toMatchObject({
      firstBad: { seq: 4, id: rows[4]!.id, reason: 'reordered' },
    });
    await exec(sql`UPDATE audit_events SET seq = -1 WHERE id = ${rows[3]!.id}`);
    await exec(sql`UPDATE audit_events SET seq = 5 WHERE id = ${rows[4]!.id}`);
    await exec(sql`UPDATE audit_events SET seq = 4 WHERE id = ${rows[3]!.id}`);
    expect(await log.service.internal.verifyChain(org, { batchSize: 3 })).toMatchObject({
      ok: true,
      rows: 10,
    });
  });
});

describe('verifyChain against a checkpoint kept elsewhere', () => {
  it('finds the newest rows cut off after the checkpoint even when the head was rewritten to match', async () => {
    const { org, log, rows } = await chainOfTen();
    const kept = JSON.parse(JSON.stringify(await log.service.internal.checkpoint(org)));
    expect(kept).toMatchObject({ seq: 10, headHash: rows[9]!.hash.toString('hex') });
    // Someone with database access removes the last three rows and covers their tracks.
    await exec(sql`DELETE FROM audit_events WHERE org_id = ${org} AND seq > 7`);
    await exec(sql`UPDATE audit_chain_heads SET seq = 7, hash = ${rows[6]!.hash} WHERE chain = ${org}`);
    await exec(sql`DELETE FROM audit_checkpoints WHERE chain = ${org}`);
    // The database alone now looks consistent…
    expect(await log.service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 7 });
    // …the kept checkpoint does not.
    expect(await log.service.internal.verifyChain(org, { fromCheckpoint: kept })).toMatchObject({
      ok: false,
      checkpoint: { seq: 10, matched: false },
      firstBad: { seq: 8, id: null, reason: 'truncated' },
    });
  });

  it('finds history rewritten up to the checkpoint: rows cut off and new ones appended in their place', async () => {
    const { org, log, rows } = await chainOfTen();
    const kept = await log.service.internal.checkpoint(org);
    await exec(sql`DELETE FROM audit_events WHERE org_id = ${org} AND seq > 7`);
    await exec(sql`UPDATE audit_chain_heads SET seq = 7, hash = ${rows[6]!.hash} WHERE chain = ${org}`);
    await appendMany(t.database, org, 5, 100);
    expect(await log.service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 12 });
    const result = await log.service.internal.verifyChain(org, { fromCheckpoint: kept });
    expect(result).toMatchObject({ ok: false, firstBad: { seq: 10, reason: 'rewritten' } });
  });

  it('passes on an untouched chain that grew after the checkpoint', async () => {
    const { org, log } = await chainOfTen();
    const kept = await log.service.internal.checkpoint(org);
    await appendMany(t.database, org, 3, 11);
    expect(await log.service.internal.verifyChain(org, { fromCheckpoint: kept })).toMatchObject({
      ok: true,
      rows: 13,
      checkpoint: { seq: 10, matched: true },
    });
  });

  it('refuses a checkpoint that was altered, is of another org or was signed by another key', async () => {
    const { org, log } = await chainOfTen();
    const kept = await log.service.internal.checkpoint(org);
    await expect(
      log.service.internal.verifyChain(org, { fromCheckpoint: { ...kept, seq: 9 } }),
    ).rejects.toThrow(/signature does not match/);
    await expect(log.service.internal.verifyChain(newOrgId(), { fromCheckpoint: kept })).rejects.toThrow(
      /another org/,
    );
    const other = auditLog(t.database);
    await expect(other.service.internal.verifyChain(org, { fromCheckpoint: kept })).rejects.toThrow(
      /signed by key/,
    );
    await expect(log.service.internal.verifyChain(org, { fromCheckpoint: { hello: 1 } })).rejects.toThrow(
      /not a Latchkey audit checkpoint/,
    );
  });
});

/** n rows chained in Node exactly as appends chain them, inserted in one statement. */
async function seedChain(org: string, n: number) {
  let prev: Buffer = GENESIS_HASH;
  const cols: unknown[][] = [[], [], [], [], [], [], []];
  for (let i = 1; i <= n; i++) {
    const c: ChainedContent = {
      orgId: org,
      actorType: 'system',
      actorId: null,
      actorLabel: 'seed é 😀',
      ip: null,
      requestId: `req_${i}`,
      action: 'test.seeded',
      targetType: 'thing',
      targetId: `t${i}`,
      createdAt: new Date(Date.UTC(2026, 0, 1) + i),
      data: { i, name: `n${i % 7}`, nested: { z: [i, 'x"y'], a: null } },
    };
    const hash = hashChained(c, prev);
    const row = [i, c.requestId, c.targetId, c.createdAt, JSON.stringify(c.data), prev, hash];
    for (const [k, v] of row.entries()) cols[k]!.push(v);
    prev = hash;
  }
  await t.database.pool.query(
    `INSERT INTO audit_events (org_id, actor_type, actor_label, action, target_type, seq, request_id, target_id,
       created_at, data, prev_hash, hash)
     SELECT $1, 'system', 'seed é 😀', 'test.seeded', 'thing', * FROM unnest($2::bigint[], $3::text[], $4::text[],
       $5::timestamptz[], $6::jsonb[], $7::bytea[], $8::bytea[])`,
    [org, ...cols],
  );
  await t.database.pool.query(
    'INSERT INTO audit_chain_heads (chain, seq, prev_hash, at, hash) VALUES ($1, $2, $3, $4, $5)',
    [org, n, cols[5]![n - 1], cols[3]![n - 1], prev],
  );
}

describe('the fast path (binary COPY, hashing in worker threads)', () => {
  const head = async (org: string) => {
    const r = await t.database.pool.query<{ seq: string; hash: string }>(
      `SELECT seq, encode(hash, 'hex') AS hash FROM audit_chain_heads WHERE chain = $1`,
      [org],
    );
    return { seq: Number(r.rows[0]!.seq), hash: r.rows[0]!.hash };
  };

  it('proves a sound chain in the main thread and in two threads, across chunk boundaries', async () => {
    const org = newOrgId();
    // More than one chunk (8,192 rows), so chunks are joined at their boundaries; then a few
    // appended the real way on top.
    await seedChain(org, 8990);
    await appendMany(t.database, org, 10);
    for (const threads of [0, 2]) {
      expect(await verifyFast(t.database.pool, org, await head(org), { threads })).toEqual({
        ok: true,
        rows: 9000,
      });
    }
    const log = auditLog(t.database);
    expect(await log.service.internal.verifyChain(org, { threads: 2 })).toMatchObject({
      ok: true,
      rows: 9000,
    });
  }, 120_000);

  it('answers not ok for each kind of tampering, in threads too, and the reference walk names the row', async () => {
    type Rows = Awaited<ReturnType<typeof rowsOf>>;
    const cases: [string, (rows: Rows, org: string) => ReturnType<typeof sql>[]][] = [
      ['edited', (rows) => [sql`UPDATE audit_events SET data = '{"i": 99}' WHERE id = ${rows[4]!.id}`]],
      ['deleted', (rows) => [sql`DELETE FROM audit_events WHERE id = ${rows[3]!.id}`]],
      [
        'inserted',
        (_rows, org) => [
          sql`INSERT INTO audit_events (org_id, actor_type, action) VALUES (${org}, 'user', 'x')`,
        ],
      ],
      [
        'reordered',
        (rows) => [
          sql`UPDATE audit_events SET seq = -1 WHERE id = ${rows[3]!.id}`,
          sql`UPDATE audit_events SET seq = 4 WHERE id = ${rows[4]!.id}`,
          sql`UPDATE audit_events SET seq = 5 WHERE id = ${rows[3]!.id}`,
        ],
      ],
      ['truncated', (_rows, org) => [sql`DELETE FROM audit_events WHERE org_id = ${org} AND seq > 8`]],
    ];
    for (const [reason, tamper] of cases) {
      const { org, log, rows } = await chainOfTen();
      for (const statement of tamper(rows, org)) await exec(statement);
      for (const threads of [0, 2]) {
        expect(await verifyFast(t.database.pool, org, await head(org), { threads }), reason).toEqual({
          ok: false,
        });
      }
      const result = await log.service.internal.verifyChain(org);
      expect(result.ok, reason).toBe(false);
      expect(await log.service.internal.verifyChain(org, { reference: true }), reason).toEqual(result);
    }
  }, 60_000);

  it('proves rows whose text needs escaping, is not ASCII or is missing, as the append wrote them', async () => {
    const org = newOrgId();
    const awkward = ['a"b', 'back\\slash', 'new\nline\ttab', '\u0001\u001f\u007f', 'é 😀 \u2028', ''];
    for (const [i, text] of awkward.entries()) {
      await t.database.db.transaction((tx) =>
        recordAudit(
          tx,
          {
            type: 'user',
            id: text || null,
            label: `${text}@example.com`,
            ip: i % 2 ? null : '::1',
            requestId: text,
          },
          {
            orgId: org,
            action: `test.${i}`,
            ...(i % 3 ? { target: { type: text || 'thing', id: `${text}:${i}` } } : {}),
            data: { [text]: text, list: [text, i, null], nested: { b: true, a: -1.5 } },
          },
        ),
      );
    }
    for (const threads of [0, 2]) {
      expect(await verifyFast(t.database.pool, org, await head(org), { threads })).toEqual({
        ok: true,
        rows: awkward.length,
      });
    }
    await exec(
      sql`UPDATE audit_events SET actor_label = 'a"c@example.com' WHERE org_id = ${org} AND seq = 1`,
    );
    expect(await verifyFast(t.database.pool, org, await head(org), { threads: 0 })).toEqual({ ok: false });
  });

  it('answers not ok when the head read before the snapshot is not the one in it', async () => {
    const { org } = await chainOfTen();
    const seen = await head(org);
    await appendMany(t.database, org, 1);
    expect(await verifyFast(t.database.pool, org, seen)).toEqual({ ok: false });
  });
});
