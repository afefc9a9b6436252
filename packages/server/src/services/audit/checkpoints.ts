import { sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { chainKey } from './chain-append.js';
import { GENESIS_HASH } from './chain-encoding.js';
import { type AuditSigner, type PortableCheckpoint, signCheckpoint } from './signing.js';

export type CheckpointPolicy = {
  /** Sign a chain's head once this many rows were appended since its last checkpoint. */
  everyRows: number;
  /** …or once this long has passed since it (or since the chain began) with rows appended. */
  everyMinutes: number;
  /** How often (real time) the trigger looks; what it decides uses the injected clock. */
  pollSeconds: number;
};

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = {
  everyRows: 1000,
  everyMinutes: 60,
  pollSeconds: 10,
};

type StoredRow = {
  org_id: string | null;
  seq: string;
  head_hash: Buffer;
  at_ms: string;
  key_id: string;
  signature: Buffer;
};

// drizzle hands timestamps back as text; epoch milliseconds are exact and need no date parsing.
const AT_MS = sql.raw('floor(extract(epoch FROM created_at) * 1000)::bigint');

export function createCheckpoints({ db, clock, signer }: { db: Db; clock: Clock; signer: AuditSigner }) {
  /**
   * Signs the chain's current head and stores the checkpoint. The head row is read without a
   * lock: an append updates its seq and hash in one transaction, so any committed state is a
   * real head. A checkpoint of the same seq made before (another node's trigger) is returned as
   * stored, so both nodes hand out the same signed statement.
   */
  async function checkpoint(orgId: string | null): Promise<PortableCheckpoint> {
    const chain = chainKey(orgId);
    const heads = await db.execute<{ seq: string; hash: Buffer }>(
      sql`SELECT seq, hash FROM audit_chain_heads WHERE chain = ${chain}`,
    );
    const head = heads.rows[0];
    const seq = head ? Number(head.seq) : 0;
    const headHash = head?.hash ?? GENESIS_HASH;
    const time = clock.now();
    const signed = signCheckpoint(signer, { orgId, seq, headHash, time });
    const inserted = await db.execute<StoredRow>(sql`
      INSERT INTO audit_checkpoints (chain, org_id, seq, head_hash, created_at, key_id, signature)
      VALUES (${chain}, ${orgId}, ${seq}, ${headHash}, ${time}, ${signer.keyId},
        ${Buffer.from(signed.signature, 'base64')})
      ON CONFLICT (chain, seq) DO NOTHING
      RETURNING org_id`);
    if (inserted.rows.length > 0) return signed;
    const stored = await db.execute<StoredRow>(sql`
      SELECT org_id, seq, head_hash, ${AT_MS} AS at_ms, key_id, signature FROM audit_checkpoints
      WHERE chain = ${chain} AND seq = ${seq}`);
    const row = stored.rows[0]!;
    // Made under another key (before a key change): this server's own statement stands instead.
    if (row.key_id !== signer.keyId) return signed;
    return toPortable(row, signer);
  }

  /**
   * One pass of the periodic trigger: every chain with rows since its last checkpoint that is
   * due by count or by age gets a new one. Returns the chains signed (for tests and metrics).
   */
  /** Chains with rows since their last checkpoint, and since when they have been waiting. */
  async function unsigned() {
    const due = await db.execute<{ chain: string; seq: string; cp_seq: string | null; since_ms: string }>(sql`
      SELECT h.chain, h.seq, c.seq AS cp_seq,
        floor(extract(epoch FROM coalesce(c.created_at, h.created_at)) * 1000)::bigint AS since_ms
      FROM audit_chain_heads h
      LEFT JOIN LATERAL (
        SELECT seq, created_at FROM audit_checkpoints WHERE chain = h.chain ORDER BY seq DESC LIMIT 1
      ) c ON true
      WHERE h.seq > coalesce(c.seq, 0)`);
    return due.rows;
  }

  async function tick(policy: CheckpointPolicy): Promise<Array<string | null>> {
    const due = await unsigned();
    const now = clock.now().getTime();
    const signed: Array<string | null> = [];
    for (const d of due) {
      const appended = Number(d.seq) - Number(d.cp_seq ?? 0);
      const ageMinutes = (now - Number(d.since_ms)) / 60_000;
      if (appended < policy.everyRows && ageMinutes < policy.everyMinutes) continue;
      const orgId = d.chain === '' ? null : d.chain;
      await checkpoint(orgId);
      signed.push(orgId);
    }
    return signed;
  }

  /**
   * For /metrics, over all chains (no org is named): how long the oldest rows not yet covered by
   * a checkpoint have waited for one (0 when every head is signed), and how many rows that is.
   */
  async function backlog(): Promise<{ ageSeconds: number; rows: number }> {
    const now = clock.now().getTime();
    let ageSeconds = 0;
    let rows = 0;
    for (const d of await unsigned()) {
      ageSeconds = Math.max(ageSeconds, (now - Number(d.since_ms)) / 1000);
      rows += Number(d.seq) - Number(d.cp_seq ?? 0);
    }
    return { ageSeconds, rows };
  }

  /** The newest stored checkpoint of a chain, if any (for checkpoint age and `verify` hints). */
  async function latest(orgId: string | null): Promise<PortableCheckpoint | null> {
    const rows = await db.execute<StoredRow>(sql`
      SELECT org_id, seq, head_hash, ${AT_MS} AS at_ms, key_id, signature FROM audit_checkpoints
      WHERE chain = ${chainKey(orgId)} ORDER BY seq DESC LIMIT 1`);
    const row = rows.rows[0];
    return row && row.key_id === signer.keyId ? toPortable(row, signer) : null;
  }

  /**
   * Starts the periodic trigger. A failed pass (database away) is retried on the next one; the
   * returned stop() waits for a pass in flight, so closing the app never cuts one in half.
   */
  function startTrigger(policy: CheckpointPolicy, onError: (err: unknown) => void): () => Promise<void> {
    let running: Promise<unknown> | null = null;
    const timer = setInterval(() => {
      if (running) return;
      running = tick(policy)
        .catch(onError)
        .finally(() => {
          running = null;
        });
    }, policy.pollSeconds * 1000);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await running;
    };
  }

  return { checkpoint, tick, latest, backlog, startTrigger };
}

function toPortable(row: StoredRow, signer: AuditSigner): PortableCheckpoint {
  return {
    type: 'latchkey.audit.checkpoint',
    v: 1,
    org: row.org_id,
    seq: Number(row.seq),
    headHash: row.head_hash.toString('hex'),
    time: new Date(Number(row.at_ms)).toISOString(),
    keyId: row.key_id,
    publicKey: signer.publicKey,
    signature: row.signature.toString('base64'),
  };
}
