import { type AccessEntry, type AccessLogQuery, redactTokens, redactTokensDeep } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import type { Db, DbOrTx } from '../../store/db.js';
import { type Actor, requirePermission } from '../actor.js';
import { assertAuditSafe, auditActorOf } from '../audit/audit.service.js';
import * as repo from './access-log.repo.js';

/** What a read returned, by name. Never a value: `data` goes through the audit log's checks. */
export type AccessRead = {
  orgId: string;
  /** secret.read, secret.history_revealed, secrets.released, secrets.diff_revealed, audit.listed, … */
  action: string;
  project?: string | null;
  environment?: string | null;
  /** The secret names whose values the answer carries. */
  names?: readonly string[];
  data?: Record<string, unknown>;
};

// Entries written by this process; read by tests and (later) /metrics.
let written = 0;
export const accessEntriesWritten = () => written;

/**
 * Records one read in the access log. Call it after the values are in hand and before answering
 * (await it): if the insert fails the read fails with it, so no value leaves the server without
 * its entry, and an entry is never written for a read that did not happen (a 404, a 403). It runs
 * outside the read's transaction on purpose: one single-row INSERT with one index, no hash-chain
 * lock, so frequent readers never queue behind each other (see README, "Access log").
 */
export async function recordAccess(db: DbOrTx, clock: Clock, actor: Actor, read: AccessRead): Promise<void> {
  const who = auditActorOf(actor);
  const data = read.data ?? {};
  assertAuditSafe(data);
  await repo.insert(db, {
    orgId: read.orgId,
    actorType: who.type,
    actorId: who.id,
    actorLabel: who.label == null ? null : redactTokens(who.label),
    action: read.action,
    project: read.project ?? null,
    environment: read.environment ?? null,
    names: [...new Set(read.names ?? [])].sort(),
    data: redactTokensDeep(data),
    ip: who.ip ?? null,
    requestId: who.requestId ?? null,
    createdAt: clock.now(),
  });
  written++;
}

function toEntry(r: repo.AccessRow): AccessEntry {
  return {
    id: String(r.id),
    at: r.createdAt.toISOString(),
    actor: { type: r.actorType, id: r.actorId, label: r.actorLabel, ip: r.ip, requestId: r.requestId },
    action: r.action,
    project: r.project,
    environment: r.environment,
    names: r.names,
    data: r.data as Record<string, unknown>,
  };
}

export type AccessLogService = ReturnType<typeof createAccessLogService>;

export function createAccessLogService({ db, clock }: { db: Db; clock: Clock }) {
  return {
    /** Bound to this service's db and clock: `services.accessLog.record(actor, read)`. */
    record: (actor: Actor, read: AccessRead) => recordAccess(db, clock, actor, read),

    /**
     * The org's entries, newest first. Listing is not itself recorded here: the entries hold no
     * values, and recording every look at the log would make it grow by being read.
     */
    async list(
      actor: Actor,
      query: AccessLogQuery,
    ): Promise<{ items: AccessEntry[]; nextCursor: string | null }> {
      const org = requirePermission(actor, 'audit:read');
      const before = repo.decodeCursor(query.cursor);
      const rows = await repo.page(
        db,
        org.id,
        {
          since: query.since ? new Date(query.since) : undefined,
          actor: query.actor,
          name: query.name,
          env: query.env,
        },
        query.limit,
        before,
      );
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toEntry),
        nextCursor: rows.length > query.limit && last ? repo.encodeCursor(last.id) : null,
      };
    },
  };
}
