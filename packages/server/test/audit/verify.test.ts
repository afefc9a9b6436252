import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { hashChained } from '../../src/services/audit/chain-encoding.js';
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
