import { redactTokens, redactTokensDeep } from '@latchkey/core';
import type { SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../store/db.js';
import type { Actor } from '../actor.js';
import { eventOfAudit } from '../effects/events.js';
import { eventParts } from '../effects/queue.js';
import { type AppendRow, appendAudit, appendChainedWithChange, type EventParts } from './chain-append.js';

export type AuditActor = {
  type: 'user' | 'platform_key' | 'service_account' | 'system' | 'anonymous';
  id: string | null;
  label: string | null;
  ip?: string | null;
  requestId?: string | null;
};

export type AuditTarget = { type: string; id: string };

export type AuditEntry = {
  orgId: string | null;
  action: string;
  target?: AuditTarget;
  data?: Record<string, unknown>;
};

export function auditActorOf(actor: Actor): AuditActor {
  const p = actor.principal;
  const meta = { ip: actor.ip, requestId: actor.requestId };
  switch (p.kind) {
    case 'user':
      return { type: 'user', id: p.userId, label: p.email, ...meta };
    case 'platform_key':
      return { type: 'platform_key', id: p.credential.id, label: p.name, ...meta };
    case 'service_account':
      return { type: 'service_account', id: p.serviceAccountId, label: p.name, ...meta };
  }
}

const FORBIDDEN_KEYS = /token|secret|password|hash|verifier|code$/i;

/**
 * Defence in depth: audit data must never carry a credential. A field named like one is a
 * programming error and fails the whole transaction. Token-shaped text is redacted instead
 * (recordAudit): it comes from what a person typed (a token pasted as an email, a name, a
 * member), which is worth recording, but not the credential.
 */
export function assertAuditSafe(data: unknown, path = 'data'): void {
  if (Array.isArray(data)) {
    for (const [i, v] of data.entries()) assertAuditSafe(v, `${path}[${i}]`);
  } else if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (FORBIDDEN_KEYS.test(k)) throw new Error(`audit ${path}.${k} looks like a secret field`);
      assertAuditSafe(v, `${path}.${k}`);
    }
  }
}

// Rows written by this process (every app in it: recordAudit is a plain function, and there is one
// app per process outside tests). Read by /metrics; a rolled-back transaction's rows count too.
let appended = 0;
export const auditRowsWritten = () => appended;

/** The row an entry is appended as, checked and redacted; and the webhook event it is, if any. */
function rowOf(
  actor: Actor | AuditActor,
  entry: AuditEntry,
): { row: AppendRow; event: EventParts | undefined } {
  const who = 'principal' in actor ? auditActorOf(actor) : actor;
  assertAuditSafe(entry.data ?? {});
  const data = redactTokensDeep(entry.data ?? {});
  const text = (s: string | null | undefined) => (s == null ? null : redactTokens(s));
  const row: AppendRow = {
    orgId: entry.orgId,
    actorType: who.type,
    actorId: who.id,
    actorLabel: text(who.label),
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: text(entry.target?.id),
    data,
    ip: who.ip ?? null,
    requestId: who.requestId ?? null,
  };
  const event = eventOfAudit({
    orgId: entry.orgId,
    action: entry.action,
    ...(entry.target ? { target: entry.target } : {}),
    data,
    actor: { type: who.type, label: row.actorLabel },
  });
  return { row, event: event && ((when) => eventParts(event, when)) };
}

/**
 * Writes one audit row, appended to its org's hash chain (chain-append.ts). Always called with
 * the transaction that makes the change, so the change and its record commit or roll back
 * together; the change's platform event (webhooks) is enqueued by the same statement. `change`,
 * a data-modifying statement the row records, is written by that statement too: one round trip
 * for the change, its audit row and its event.
 */
export async function recordAudit(
  tx: DbOrTx,
  actor: Actor | AuditActor,
  entry: AuditEntry,
  change?: SQL,
): Promise<void> {
  const { row, event } = rowOf(actor, entry);
  await appendAudit(tx, row, { change, event });
  appended++;
}

/**
 * A change, its audit row and its event in one statement and one round trip, no transaction
 * (chain-append.ts appendChainedWithChange): `change(guard)` must write only where `guard`
 * holds. Answers false, having written nothing, in the benchmark's plain-audit mode only; the
 * caller then makes the change in a transaction with recordAudit.
 */
export async function recordAuditWithChange(
  db: DbOrTx,
  actor: Actor | AuditActor,
  entry: AuditEntry,
  change: (guard: SQL) => SQL,
): Promise<boolean> {
  const { row, event } = rowOf(actor, entry);
  const done = await appendChainedWithChange(db, row, change, event);
  if (done) appended++;
  return done;
}
