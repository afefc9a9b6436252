import { AppError } from '@latchkey/core';
import type { Clock } from '../../clock.js';
import { type Db, poolOf } from '../../store/db.js';
import { recordAccess } from '../access-log/access-log.service.js';
import { type Actor, type OrgContext, requirePermission } from '../actor.js';
import { recordAudit } from './audit.service.js';
import { type AuditEvent, type AuditFilters, decodeSeqCursor, readAll, readPage } from './audit-read.js';
import { type CheckpointPolicy, createCheckpoints, DEFAULT_CHECKPOINT_POLICY } from './checkpoints.js';
import { type AuditSigner, checkCheckpoint, type PortableCheckpoint } from './signing.js';
import { type VerifyResult, verifyChain } from './verify.js';

export type ListAuditQuery = AuditFilters & { limit?: number; cursor?: string };

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

export type AuditLogService = ReturnType<typeof createAuditLogService>;

/**
 * Reading, exporting, verifying and checkpointing the audit log. Every call checks `audit:read`
 * first and is itself recorded (reading the audit log is audited); the periodic checkpoints are
 * not, or a quiet org would never stop growing.
 */
export function createAuditLogService({
  db,
  clock,
  signer,
  policy = DEFAULT_CHECKPOINT_POLICY,
}: {
  db: Db;
  clock: Clock;
  signer: AuditSigner;
  policy?: CheckpointPolicy;
}) {
  const checkpoints = createCheckpoints({ db, clock, signer });
  let stopTrigger: (() => Promise<void>) | null = null;

  /** Another org's log answers exactly like one that does not exist. */
  function readable(actor: Actor, orgId: string): OrgContext {
    const org = requirePermission(actor, 'audit:read');
    if (org.id !== orgId) {
      throw new AppError('NOT_FOUND', `No org ${orgId}.`, {
        hint: 'Run `latch orgs list` to see your orgs.',
      });
    }
    return org;
  }

  return {
    signer: { keyId: signer.keyId, publicKey: signer.publicKey },

    /** Newest first. The read is recorded after the page is read, so a page never shows itself. */
    async list(actor: Actor, orgId: string, q: ListAuditQuery = {}) {
      readable(actor, orgId);
      const limit = Math.min(Math.max(q.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
      const before = decodeSeqCursor(q.cursor);
      return db.transaction(async (tx) => {
        const page = await readPage(tx, orgId, q, limit, before);
        await recordAudit(tx, actor, { orgId, action: 'audit.listed', data: describeFilters(q) });
        // The audit log is sensitive data too: its reads are in the access log as well.
        await recordAccess(tx, clock, actor, { orgId, action: 'audit.listed', data: describeFilters(q) });
        return page;
      });
    },

    /**
     * Oldest first, for a SIEM (`export --format ndjson`). The export is recorded when it starts,
     * in its own short transaction: holding the chain's lock while a slow reader drains the
     * stream would stall every change in the org.
     */
    async export(
      actor: Actor,
      orgId: string,
      filters: AuditFilters = {},
    ): Promise<AsyncIterable<AuditEvent>> {
      readable(actor, orgId);
      await db.transaction(async (tx) => {
        await recordAudit(tx, actor, { orgId, action: 'audit.exported', data: describeFilters(filters) });
        await recordAccess(tx, clock, actor, {
          orgId,
          action: 'audit.exported',
          data: describeFilters(filters),
        });
      });
      return readAll(db, orgId, filters);
    },

    async verify(
      actor: Actor,
      orgId: string,
      opts: { fromCheckpoint?: unknown } = {},
    ): Promise<VerifyResult> {
      readable(actor, orgId);
      const checkpoint =
        opts.fromCheckpoint === undefined ? undefined : checkCheckpoint(opts.fromCheckpoint, signer, orgId);
      const result = await verifyChain(poolOf(db), orgId, checkpoint ? { checkpoint } : {});
      await db.transaction((tx) =>
        recordAudit(tx, actor, {
          orgId,
          action: 'audit.verified',
          data: {
            ok: result.ok,
            rows: result.rows,
            ...(checkpoint ? { checkpointSeq: checkpoint.seq } : {}),
            ...(result.firstBad ? { firstBadSeq: result.firstBad.seq, reason: result.firstBad.reason } : {}),
          },
        }),
      );
      return result;
    },

    /** Signs the head as it is now; the request is recorded after, so the next head includes it. */
    async checkpoint(actor: Actor, orgId: string): Promise<PortableCheckpoint> {
      readable(actor, orgId);
      const cp = await checkpoints.checkpoint(orgId);
      await db.transaction((tx) =>
        recordAudit(tx, actor, {
          orgId,
          action: 'audit.checkpointed',
          data: { seq: cp.seq, keyId: cp.keyId },
        }),
      );
      return cp;
    },

    /** No actor: the server's own periodic trigger, start-up checks and tests. */
    internal: {
      verifyChain: async (
        orgId: string | null,
        opts: { fromCheckpoint?: unknown; batchSize?: number; reference?: boolean; threads?: number } = {},
      ) =>
        verifyChain(poolOf(db), orgId, {
          ...(opts.fromCheckpoint === undefined
            ? {}
            : { checkpoint: checkCheckpoint(opts.fromCheckpoint, signer, orgId) }),
          ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
          ...(opts.reference ? { reference: true } : {}),
          ...(opts.threads === undefined ? {} : { threads: opts.threads }),
        }),
      checkpoint: checkpoints.checkpoint,
      latestCheckpoint: checkpoints.latest,
      tick: () => checkpoints.tick(policy),
    },

    /** Not a read of the log (no org, no rows): what /metrics reports as checkpoint age. */
    checkpointBacklog: checkpoints.backlog,

    startCheckpoints(onError: (err: unknown) => void): void {
      stopTrigger ??= checkpoints.startTrigger(policy, onError);
    },

    async close(): Promise<void> {
      await stopTrigger?.();
      stopTrigger = null;
    },
  };
}

function describeFilters(f: AuditFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.since) out.since = f.since.toISOString();
  if (f.actor) out.actor = f.actor;
  if (f.action) out.action = f.action;
  if (f.target) out.target = f.target;
  return out;
}

/** One JSON object a line, for `export --format ndjson`. */
export async function* toNdjson(events: AsyncIterable<AuditEvent>): AsyncGenerator<string> {
  for await (const e of events) yield `${JSON.stringify(e)}\n`;
}
