import { sql } from 'drizzle-orm';
import { createTestClock } from '../../src/clock.js';
import { type AuditActor, recordAudit } from '../../src/services/audit/audit.service.js';
import { createAuditLogService } from '../../src/services/audit/audit-log.service.js';
import { ephemeralSigner } from '../../src/services/audit/signing.js';
import type { Database } from '../../src/store/db.js';

export const system: AuditActor = { type: 'system', id: null, label: 'test', ip: null, requestId: null };

let orgCounter = 0;
/** A chain of its own per test: audit rows need no org row, only an id. */
export const newOrgId = () => `org_audit${++orgCounter}${Date.now().toString(36)}`;

export function auditLog(database: Database) {
  const clock = createTestClock(new Date('2026-06-01T00:00:00Z'));
  const signer = ephemeralSigner();
  const service = createAuditLogService({
    db: database.db,
    clock,
    signer,
    policy: { everyRows: 5, everyMinutes: 10, pollSeconds: 3600 },
  });
  return { service, clock, signer };
}

/** `n` changes recorded one after another, each in its own transaction. */
export async function appendMany(database: Database, orgId: string | null, n: number, from = 1) {
  for (let i = from; i < from + n; i++) {
    await database.db.transaction((tx) =>
      recordAudit(tx, system, {
        orgId,
        action: 'test.changed',
        target: { type: 'thing', id: `t${i}` },
        data: { i },
      }),
    );
  }
}

export async function rowsOf(database: Database, orgId: string) {
  const res = await database.db.execute<{ id: string; seq: string; hash: Buffer; prev_hash: Buffer }>(
    sql`SELECT id, seq, hash, prev_hash FROM audit_events WHERE org_id = ${orgId} ORDER BY seq`,
  );
  return res.rows.map((r) => ({ id: String(r.id), seq: Number(r.seq), hash: r.hash, prev: r.prev_hash }));
}
