import type pg from 'pg';
import { chainKey } from './chain-append.js';
import { type ChainedContent, GENESIS_HASH, hashChainedHex } from './chain-encoding.js';
import type { PortableCheckpoint } from './signing.js';

export type BadReason =
  /** The row's content no longer matches its hash. */
  | 'edited'
  /** Rows are missing: a gap in seq, or a link that names no row before it. */
  | 'deleted'
  /** A row that no chained row points back to, or one outside the chain (seq missing, past the head). */
  | 'inserted'
  /** Two rows' links point the wrong way: their positions were swapped. */
  | 'reordered'
  /** The chain ends before its head row or before a checkpoint said it reached. */
  | 'truncated'
  /** The row at a checkpoint's seq is not the one the checkpoint signed: history was rewritten. */
  | 'rewritten';

export type FirstBad = { seq: number | null; id: string | null; reason: BadReason; detail: string };

export type VerifyResult = {
  ok: boolean;
  /** Rows checked (up to and including the first bad one). */
  rows: number;
  head: { seq: number; hash: string };
  firstBad?: FirstBad;
  checkpoint?: { seq: number; matched: boolean };
};

type Row = { id: string; seq: number; prev: string; hash: string; recomputed: string };

const GENESIS_HEX = GENESIS_HASH.toString('hex');
const COLUMNS = `id, seq, org_id, actor_type, actor_id, actor_label, ip, request_id, action, target_type,
  target_id, created_at, data, encode(prev_hash, 'hex'), encode(hash, 'hex')`;

/**
 * Reads one batch after `afterSeq` in seq order (keyset on the chain's unique index, so every
 * batch is an index range scan however far into the chain) and hashes each row as it comes.
 */
async function readBatch(
  pool: pg.Pool,
  orgId: string | null,
  afterSeq: number,
  limit: number,
): Promise<Row[]> {
  const where = orgId === null ? 'org_id IS NULL AND seq > $1' : 'org_id = $2 AND seq > $1';
  const res = await pool.query<unknown[]>({
    text: `SELECT ${COLUMNS} FROM audit_events WHERE ${where} ORDER BY seq LIMIT ${limit}`,
    values: orgId === null ? [afterSeq] : [afterSeq, orgId],
    rowMode: 'array',
  });
  return res.rows.map((r) => {
    const content: ChainedContent = {
      orgId: r[2] as string | null,
      actorType: r[3] as string,
      actorId: r[4] as string | null,
      actorLabel: r[5] as string | null,
      ip: r[6] as string | null,
      requestId: r[7] as string | null,
      action: r[8] as string,
      targetType: r[9] as string | null,
      targetId: r[10] as string | null,
      createdAt: r[11] as Date,
      data: r[12],
    };
    const prev = (r[13] as string | null) ?? '';
    return {
      id: r[0] as string,
      seq: Number(r[1]),
      prev,
      hash: (r[14] as string | null) ?? '',
      recomputed: hashChainedHex(content, prev),
    };
  });
}

/**
 * Walks a chain from its first row and names the first row that does not fit. `checkpoint` must
 * already be checked (signing.ts checkCheckpoint): its seq must be reached with its hash.
 */
export async function verifyChain(
  pool: pg.Pool,
  orgId: string | null,
  opts: { checkpoint?: PortableCheckpoint; batchSize?: number } = {},
): Promise<VerifyResult> {
  const batchSize = opts.batchSize ?? 20_000;
  const cp = opts.checkpoint;
  const headRes = await pool.query<{ seq: string; hash: string }>(
    `SELECT seq, encode(hash, 'hex') AS hash FROM audit_chain_heads WHERE chain = $1`,
    [chainKey(orgId)],
  );
  const head = headRes.rows[0]
    ? { seq: Number(headRes.rows[0].seq), hash: headRes.rows[0].hash }
    : { seq: 0, hash: GENESIS_HEX };
  let checked = 0;
  const done = (firstBad?: FirstBad): VerifyResult => ({
    ok: !firstBad,
    rows: checked,
    head,
    ...(firstBad ? { firstBad } : {}),
    ...(cp ? { checkpoint: { seq: cp.seq, matched: !firstBad } } : {}),
  });

  // p: the last good row; pp: the one before it. The next batch is fetched while this one is
  // checked, so PostgreSQL and Node work at the same time.
  let p = { seq: 0, hash: GENESIS_HEX, id: null as string | null };
  let pp: string | null = null;
  let batch = await readBatch(pool, orgId, 0, batchSize);
  while (batch.length > 0) {
    const last = batch[batch.length - 1]!;
    const nextBatch = batch.length === batchSize ? readBatch(pool, orgId, last.seq, batchSize) : null;
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      checked++;
      if (r.seq !== p.seq + 1) {
        const missing = r.seq - 1 === p.seq + 1 ? `${p.seq + 1}` : `${p.seq + 1}–${r.seq - 1}`;
        return done({
          seq: p.seq + 1,
          id: null,
          reason: 'deleted',
          detail: `seq ${missing} missing: row ${r.id} (seq ${r.seq}) follows seq ${p.seq}.`,
        });
      }
      if (r.recomputed !== r.hash) {
        return done({
          seq: r.seq,
          id: r.id,
          reason: 'edited',
          detail: `row ${r.id} no longer matches its hash.`,
        });
      }
      if (r.prev !== p.hash) {
        const next = batch[i + 1] ?? (await nextBatch)?.[0];
        return done(brokenLink(r, p, pp, next));
      }
      if (cp && r.seq === cp.seq && r.hash !== cp.headHash) {
        return done({
          seq: r.seq,
          id: r.id,
          reason: 'rewritten',
          detail: `row ${r.id} (seq ${r.seq}) is not the row the checkpoint of ${cp.time} signed.`,
        });
      }
      pp = p.hash;
      p = { seq: r.seq, hash: r.hash, id: r.id };
    }
    batch = nextBatch ? await nextBatch : [];
  }

  // Rows outside the chain: written without a seq (directly in the database) are insertions too.
  const stray = await pool.query<{ id: string }>(
    `SELECT id FROM audit_events WHERE seq IS NULL AND ${orgId === null ? 'org_id IS NULL' : 'org_id = $1'} ORDER BY id LIMIT 1`,
    orgId === null ? [] : [orgId],
  );
  if (stray.rows[0]) {
    const id = stray.rows[0].id;
    return done({
      seq: null,
      id,
      reason: 'inserted',
      detail: `row ${id} has no place in the chain (no seq).`,
    });
  }
  if (cp && cp.seq > p.seq) {
    return done({
      seq: p.seq + 1,
      id: null,
      reason: 'truncated',
      detail: `the chain ends at seq ${p.seq}, but the checkpoint of ${cp.time} signed seq ${cp.seq}.`,
    });
  }
  if (head.seq > p.seq) {
    return done({
      seq: p.seq + 1,
      id: null,
      reason: 'truncated',
      detail: `the chain ends at seq ${p.seq}, but its head says ${head.seq} rows were appended.`,
    });
  }
  if (head.seq < p.seq) {
    return done({
      seq: head.seq + 1,
      id: null,
      reason: 'inserted',
      detail: `rows past the head (seq ${head.seq}).`,
    });
  }
  if (head.hash !== p.hash) {
    return done({
      seq: p.seq,
      id: p.id,
      reason: 'edited',
      detail: `the last row is not the one the head records.`,
    });
  }
  return done();
}

/**
 * Row r does not point back to p. Which tampering explains it, by what the neighbours link to:
 * r pointing at the row before p means p was slipped in; r pointing at the next row means the two
 * were swapped; the next row pointing at p means r was slipped in; anything else means rows
 * between p and r were taken out and the rest renumbered.
 */
function brokenLink(
  r: Row,
  p: { seq: number; hash: string; id: string | null },
  pp: string | null,
  next?: Row,
): FirstBad {
  if (pp !== null && r.prev === pp) {
    return {
      seq: p.seq,
      id: p.id,
      reason: 'inserted',
      detail: `row ${p.id} (seq ${p.seq}) is not linked from the row after it.`,
    };
  }
  if (next && r.prev === next.hash) {
    return {
      seq: r.seq,
      id: r.id,
      reason: 'reordered',
      detail: `row ${r.id} (seq ${r.seq}) and row ${next.id} (seq ${next.seq}) are in each other's places.`,
    };
  }
  if (next && next.prev === p.hash) {
    return {
      seq: r.seq,
      id: r.id,
      reason: 'inserted',
      detail: `row ${r.id} (seq ${r.seq}) is not part of the chain.`,
    };
  }
  return {
    seq: r.seq,
    id: r.id,
    reason: 'deleted',
    detail: `row ${r.id} (seq ${r.seq}) links to a row that is no longer there.`,
  };
}
