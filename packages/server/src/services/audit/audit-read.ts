import { AppError } from '@latchkey/core';
import { and, asc, desc, eq, gt, gte, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import { auditEvents } from '../../store/schema.js';

/** One audit row as readers see it (list pages and export lines). */
export type AuditEvent = {
  id: string;
  seq: number | null;
  at: string;
  actor: {
    type: string;
    id: string | null;
    label: string | null;
    ip: string | null;
    requestId: string | null;
  };
  action: string;
  target: { type: string | null; id: string | null } | null;
  data: unknown;
  /** The row's chain hash, hex: an export can be checked against checkpoints outside Latchkey. */
  hash: string | null;
  prevHash: string | null;
};

export type AuditFilters = {
  since?: Date;
  /** Matches the actor's id or label (an email, a key name). */
  actor?: string;
  /** An action name, or a prefix ending in `.` or `*`: `secret.` / `secret.*`. */
  action?: string;
  /** A target id, or `type:id`. */
  target?: string;
};

type Row = typeof auditEvents.$inferSelect;

export function toAuditEvent(r: Row): AuditEvent {
  return {
    id: String(r.id),
    seq: r.seq,
    at: r.createdAt.toISOString(),
    actor: { type: r.actorType, id: r.actorId, label: r.actorLabel, ip: r.ip, requestId: r.requestId },
    action: r.action,
    target: r.targetType === null && r.targetId === null ? null : { type: r.targetType, id: r.targetId },
    data: r.data,
    hash: r.hash?.toString('hex') ?? null,
    prevHash: r.prevHash?.toString('hex') ?? null,
  };
}

function chainOf(orgId: string | null): SQL {
  return orgId === null ? isNull(auditEvents.orgId) : eq(auditEvents.orgId, orgId);
}

function filterSql(f: AuditFilters): SQL[] {
  const where: SQL[] = [];
  if (f.since) where.push(gte(auditEvents.createdAt, f.since));
  if (f.actor) where.push(or(eq(auditEvents.actorId, f.actor), eq(auditEvents.actorLabel, f.actor))!);
  if (f.action) {
    const prefix = f.action.endsWith('*') ? f.action.slice(0, -1) : f.action.endsWith('.') ? f.action : null;
    // Prefix match by range, not LIKE: names may hold `_`, a LIKE wildcard.
    where.push(
      prefix === null
        ? eq(auditEvents.action, f.action)
        : and(gte(auditEvents.action, prefix), lt(auditEvents.action, `${prefix}\u{10FFFF}`))!,
    );
  }
  if (f.target) {
    // Target ids may hold colons themselves (a secret is `<environment>:<name>`), so `type:id`
    // is one reading and the whole string as an id the other.
    const colon = f.target.indexOf(':');
    const asId = eq(auditEvents.targetId, f.target);
    where.push(
      colon > 0
        ? or(
            asId,
            and(
              eq(auditEvents.targetType, f.target.slice(0, colon)),
              eq(auditEvents.targetId, f.target.slice(colon + 1)),
            ),
          )!
        : asId,
    );
  }
  return where;
}

/** Opaque to clients: base64url of the last row's seq (newest first). */
export function encodeSeqCursor(seq: number): string {
  return Buffer.from(JSON.stringify([seq])).toString('base64url');
}

export function decodeSeqCursor(cursor: string | undefined): number | null {
  if (!cursor) return null;
  try {
    const [seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [number];
    if (!Number.isSafeInteger(seq) || seq < 1) throw new Error('bad cursor');
    return seq;
  } catch {
    throw new AppError('INVALID_INPUT', 'The cursor is not valid.', {
      hint: 'Pass back the nextCursor value of a previous page unchanged.',
    });
  }
}

/** A page newest first, by seq (the chain's order), limit+1 rows to learn whether more follow. */
export async function readPage(
  db: DbOrTx,
  orgId: string | null,
  f: AuditFilters,
  limit: number,
  beforeSeq: number | null,
): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
  const where = [chainOf(orgId), ...filterSql(f)];
  if (beforeSeq !== null) where.push(lt(auditEvents.seq, beforeSeq));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(desc(auditEvents.seq))
    .limit(limit + 1);
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(toAuditEvent), nextCursor: more && last?.seq ? encodeSeqCursor(last.seq) : null };
}

/**
 * Oldest first from `since`, in keyset batches: memory stays flat however long the export, and no
 * transaction is held open while a slow consumer (a SIEM upload) reads.
 */
export async function* readAll(
  db: DbOrTx,
  orgId: string | null,
  f: AuditFilters,
  batchSize = 1000,
): AsyncGenerator<AuditEvent> {
  let after = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(chainOf(orgId), gt(auditEvents.seq, after), ...filterSql(f)))
      .orderBy(asc(auditEvents.seq))
      .limit(batchSize);
    for (const r of rows) yield toAuditEvent(r);
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.seq!;
  }
}
