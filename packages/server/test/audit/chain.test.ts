import canonicalize from 'canonicalize';
import { type SQL, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordAudit, recordAuditWithChange } from '../../src/services/audit/audit.service.js';
import { setPlainAuditForBenchmark } from '../../src/services/audit/chain-append.js';
import { chainUnchainedRows } from '../../src/services/audit/chain-backfill.js';
import { type ChainedContent, encodeChained, GENESIS_HASH } from '../../src/services/audit/chain-encoding.js';
import { openDatabase } from '../../src/store/db.js';
import { useTestDatabase } from '../helpers/db.js';
import { appendMany, auditLog, newOrgId, rowsOf, system } from './fixtures.js';

const t = useTestDatabase();

describe('canonical encoding', () => {
  const json = fc.jsonValue().filter((v) => !JSON.stringify(v).includes('\\u0000'));
  const text = fc.option(fc.string({ unit: 'grapheme' }), { nil: null });

  it('is RFC 8785 (JCS) of the whole row object', () => {
    fc.assert(
      fc.property(
        text,
        fc.string(),
        text,
        text,
        fc.string(),
        text,
        text,
        json,
        fc.date({ noInvalidDate: true }),
        (orgId, actorType, actorId, label, action, targetType, targetId, data, at) => {
          const c: ChainedContent = {
            orgId,
            actorType,
            actorId,
            actorLabel: label,
            ip: '127.0.0.1',
            requestId: null,
            action,
            targetType,
            targetId,
            createdAt: at,
            data,
          };
          const prev = 'ab'.repeat(32);
          const target = targetType === null && targetId === null ? null : { type: targetType, id: targetId };
          const whole = {
            v: 1,
            org: orgId,
            prev,
            time: at.toISOString(),
            actor: { type: actorType, id: actorId, label, ip: '127.0.0.1', requestId: null },
            action,
            target,
            data,
          };
          expect(encodeChained(c, prev)).toBe(canonicalize(whole));
        },
      ),
    );
  });
});

describe('appending', () => {
  it('links each row to the one before, starting from the genesis hash', async () => {
    const org = newOrgId();
    await appendMany(t.database, org, 3);
    const rows = await rowsOf(t.database, org);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0]!.prev.equals(GENESIS_HASH)).toBe(true);
    expect(rows[1]!.prev.equals(rows[0]!.hash)).toBe(true);
    expect(rows[2]!.prev.equals(rows[1]!.hash)).toBe(true);
    const { service } = auditLog(t.database);
    expect(await service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 3, head: { seq: 3 } });
  });

  it('verifies rows whose fields need escaping: the database-side and Node-side encodings agree', async () => {
    const org = newOrgId();
    const awkward = 'quote " backslash \\ newline \n tab \t \u0001 \u001f \u007f é 😀 \u2028 ';
    await t.database.db.transaction((tx) =>
      recordAudit(
        tx,
        { type: 'user', id: `usr_${awkward}`, label: awkward, ip: '::1', requestId: awkward },
        {
          orgId: org,
          action: `odd.${awkward}`,
          target: { type: awkward, id: awkward },
          data: {
            [awkward]: [1.5, -0, 1e21, 2 ** 53, null, true, { z: awkward, a: [] }],
            b: {},
            é: 'x',
            e: 'y',
          },
        },
      ),
    );
    await t.database.db.transaction((tx) => recordAudit(tx, system, { orgId: org, action: 'plain' }));
    const { service } = auditLog(t.database);
    expect(await service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 2 });
  });

  it('keeps system events (no org) in a chain of their own', async () => {
    const { service } = auditLog(t.database);
    const before = await service.internal.verifyChain(null);
    await appendMany(t.database, null, 2);
    const after = await service.internal.verifyChain(null);
    expect(after).toMatchObject({ ok: true, rows: before.rows + 2, head: { seq: before.head.seq + 2 } });
  });

  it('neither forks nor leaves gaps under many parallel writers, rollbacks included', async () => {
    // Its own pool with more connections than the default, so writers really overlap.
    const database = openDatabase(t.url, { max: 24 });
    try {
      const [a, b] = [newOrgId(), newOrgId()];
      const writers = 48;
      const perWriter = 10;
      let committed = 0;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++) {
            const orgId = w % 4 === 3 ? b : a;
            const rollBack = i % 5 === 4;
            await database.db
              .transaction(async (tx) => {
                await tx.execute(sql`SELECT pg_sleep(0.001)`);
                await recordAudit(tx, system, { orgId, action: 'test.parallel', data: { w, i } });
                // Work after the entry, inside the change's transaction: the head stays locked.
                await tx.execute(sql`SELECT pg_sleep(0.001)`);
                if (rollBack) throw new Error('roll back');
              })
              .then(
                () => {
                  committed++;
                },
                (err: Error) => {
                  if (err.message !== 'roll back') throw err;
                },
              );
          }
        }),
      );
      const rowsA = await rowsOf(database, a);
      const rowsB = await rowsOf(database, b);
      expect(rowsA.length + rowsB.length).toBe(committed);
      expect(committed).toBe(writers * perWriter * 0.8);
      for (const rows of [rowsA, rowsB]) {
        expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
        for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev.equals(rows[i - 1]!.hash)).toBe(true);
      }
      const { service } = auditLog(database);
      expect(await service.internal.verifyChain(a)).toMatchObject({ ok: true, rows: rowsA.length });
      expect(await service.internal.verifyChain(b)).toMatchObject({ ok: true, rows: rowsB.length });
    } finally {
      await database.close();
    }
  });

  it('chains inside a transaction even when the caller passes the pool handle', async () => {
    const org = newOrgId();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        recordAudit(t.database.db, system, { orgId: org, action: 'test.read', data: { i } }),
      ),
    );
    const { service } = auditLog(t.database);
    expect(await service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 20 });
  });
});

describe('a change and its row in one statement (recordAuditWithChange)', () => {
  // A table of the test's own stands for the change (api-keys.service.ts writes a key this way).
  const probe = async () =>
    t.database.db.execute(sql`CREATE TABLE IF NOT EXISTS audit_change_probe (id text PRIMARY KEY, org text)`);
  const change = (id: string, org: string) => (guard: SQL) =>
    sql`INSERT INTO audit_change_probe (id, org) SELECT ${id}::text, ${org}::text WHERE ${guard} RETURNING 1`;

  it('interleaves with transactional appends under many parallel writers: no fork, no gap', async () => {
    await probe();
    const database = openDatabase(t.url, { max: 24 });
    try {
      const org = newOrgId();
      const writers = 32;
      const perWriter = 8;
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++) {
            if ((w + i) % 2) {
              const done = await recordAuditWithChange(
                database.db,
                system,
                { orgId: org, action: 'test.one_statement', data: { w, i } },
                change(`${org}-${w}-${i}`, org),
              );
              expect(done).toBe(true);
            } else {
              await database.db.transaction(async (tx) => {
                await recordAudit(tx, system, { orgId: org, action: 'test.parallel', data: { w, i } });
                await tx.execute(sql`SELECT pg_sleep(0.001)`);
              });
            }
          }
        }),
      );
      const rows = await rowsOf(database, org);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: writers * perWriter }, (_, i) => i + 1));
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev.equals(rows[i - 1]!.hash)).toBe(true);
      const changed = await database.db.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM audit_change_probe WHERE org = ${org}`,
      );
      expect(changed.rows[0]!.n).toBe((writers * perWriter) / 2);
      const { service } = auditLog(database);
      expect(await service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: writers * perWriter });
    } finally {
      await database.close();
    }
  });

  it('writes neither the change nor its row when the change fails, or when its guard does not hold', async () => {
    await probe();
    const org = newOrgId();
    await appendMany(t.database, org, 2);
    const entry = { orgId: org, action: 'test.one_statement', data: {} };
    expect(await recordAuditWithChange(t.database.db, system, entry, change(`${org}-x`, org))).toBe(true);
    // The same id again: the change fails, and so does its append.
    await expect(
      recordAuditWithChange(t.database.db, system, entry, change(`${org}-x`, org)),
    ).rejects.toThrow();
    // A guard that does not hold (as when a webhook endpoint wants the event): nothing written.
    const never = (guard: SQL) =>
      sql`INSERT INTO audit_change_probe (id, org) SELECT ${`${org}-y`}::text, ${org}::text WHERE ${guard} AND false RETURNING 1`;
    expect(await recordAuditWithChange(t.database.db, system, entry, never)).toBe(false);
    const rows = await rowsOf(t.database, org);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    const { service } = auditLog(t.database);
    expect(await service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 3, head: { seq: 3 } });
    await appendMany(t.database, org, 1);
    expect(await service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 4 });
  });

  it("in the audit benchmark's plain mode, makes the same one statement with an unchained row", async () => {
    await probe();
    const org = newOrgId();
    const entry = { orgId: org, action: 'test.plain', data: {} };
    const never = (guard: SQL) =>
      sql`INSERT INTO audit_change_probe (id, org) SELECT ${`${org}-n`}::text, ${org}::text WHERE ${guard} AND false RETURNING 1`;
    setPlainAuditForBenchmark(true);
    try {
      // The baseline must take the same path as the chain (not fall back to a transaction), or
      // bench/audit's "chained vs plain" would compare two different write paths.
      expect(await recordAuditWithChange(t.database.db, system, entry, change(`${org}-p`, org))).toBe(true);
      expect(await recordAuditWithChange(t.database.db, system, entry, never)).toBe(false);
    } finally {
      setPlainAuditForBenchmark(false);
    }
    const probes = await t.database.db.execute(sql`SELECT id FROM audit_change_probe WHERE org = ${org}`);
    expect(probes.rows).toEqual([{ id: `${org}-p` }]);
    const rows = await t.database.db.execute(sql`SELECT action, seq FROM audit_events WHERE org_id = ${org}`);
    expect(rows.rows).toEqual([{ action: 'test.plain', seq: null }]);
  });
});

describe('rows written before the chain existed', () => {
  it('are chained at start-up in id order, after what the chain holds, and only once', async () => {
    const org = newOrgId();
    await appendMany(t.database, org, 2);
    // As the code before the chain wrote them: no seq or hashes, microsecond times.
    for (const [action, at] of [
      ['old.first', '2026-01-01 10:00:00.123456+00'],
      ['old.second', '2026-01-01 10:00:00.123999+00'],
    ]) {
      await t.database.db.execute(sql`
        INSERT INTO audit_events (org_id, actor_type, actor_id, action, data, created_at)
        VALUES (${org}, 'user', 'usr_1', ${action}, '{"n": 1.5, "list": [true, null]}', ${at}::timestamptz)`);
    }
    await t.database.db.execute(
      sql`INSERT INTO audit_events (org_id, actor_type, action) VALUES (NULL, 'system', 'old.boot')`,
    );
    const { service } = auditLog(t.database);
    expect((await service.internal.verifyChain(org)).firstBad).toMatchObject({
      reason: 'inserted',
      seq: null,
    });

    expect(await chainUnchainedRows(t.database.pool)).toBeGreaterThanOrEqual(3);
    const rows = await t.database.db.execute<{ action: string; seq: string }>(
      sql`SELECT action, seq FROM audit_events WHERE org_id = ${org} ORDER BY seq`,
    );
    expect(rows.rows.map((r) => [r.action, Number(r.seq)])).toEqual([
      ['test.changed', 1],
      ['test.changed', 2],
      ['old.first', 3],
      ['old.second', 4],
    ]);
    expect(await service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 4 });
    expect(await service.internal.verifyChain(null)).toMatchObject({ ok: true });
    // New appends carry on from the chained rows; a second start has nothing to do.
    await appendMany(t.database, org, 1);
    expect(await chainUnchainedRows(t.database.pool)).toBe(0);
    expect(await service.internal.verifyChain(org)).toMatchObject({ ok: true, rows: 5 });
  });
});
