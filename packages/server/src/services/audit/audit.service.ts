import { parseToken } from '@latchkey/core';
import type { DbOrTx } from '../../store/db.js';
import type { Actor } from '../actor.js';
import { appendAudit } from './chain-append.js';

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
 * Defence in depth: audit data must never carry a credential. A field named like one, or any
 * string that parses as a token, is a programming error and fails the whole transaction.
 */
export function assertAuditSafe(data: unknown, path = 'data'): void {
  if (typeof data === 'string') {
    if (parseToken(data)) throw new Error(`audit ${path} holds a token`);
    return;
  }
  if (Array.isArray(data)) {
    for (const [i, v] of data.entries()) assertAuditSafe(v, `${path}[${i}]`);
  } else if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (FORBIDDEN_KEYS.test(k)) throw new Error(`audit ${path}.${k} looks like a secret field`);
      assertAuditSafe(v, `${path}.${k}`);
    }
  }
}

/**
 * Writes one audit row, appended to its org's hash chain (chain-append.ts). Always called with
 * the transaction that makes the change, so the change and its record commit or roll back
 * together.
 */
export async function recordAudit(tx: DbOrTx, actor: Actor | AuditActor, entry: AuditEntry): Promise<void> {
  const who = 'principal' in actor ? auditActorOf(actor) : actor;
  const data = entry.data ?? {};
  assertAuditSafe(data);
  await appendAudit(tx, {
    orgId: entry.orgId,
    actorType: who.type,
    actorId: who.id,
    actorLabel: who.label,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    data,
    ip: who.ip ?? null,
    requestId: who.requestId ?? null,
  });
}
