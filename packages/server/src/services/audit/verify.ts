import { hash as oneShotHash } from 'node:crypto';
import type pg from 'pg';
import { chainKey } from './chain-append.js';
import { canonicalJson, GENESIS_HASH } from './chain-encoding.js';
import type { PortableCheckpoint } from './signing.js';
import { verifyFast } from './verify-fast.js';

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

// The canonical encoding (chain-encoding.ts) around `data`, built by PostgreSQL: the envelope's
// fields are fixed, and to_json(text) escapes exactly as JSON.stringify does for the valid UTF-8
// PostgreSQL holds. Node only encodes `data` itself. This is the reference walk's; the fast path
// (chain-fast.ts) writes the same bytes itself from the raw columns, which costs PostgreSQL far
// less. Every test that verifies a chain written by recordAudit checks that this and
// encodeChained agree.
const json = (col: string) => `coalesce(to_json(${col})::text, 'null')`;
const BEFORE_DATA = `'{"action":' || to_json(action)::text || ',"actor":{"id":' || ${json('actor_id')}
  || ',"ip":' || ${json('ip')} || ',"label":' || ${json('actor_label')} || ',"requestId":' || ${json('request_id')}
  || ',"type":' || to_json(actor_type)::text || '},"data":'`;
const AFTER_DATA = `',"org":' || ${json('org_id')} || ',"prev":"' || coalesce(encode(prev_hash, 'hex'), '') || '"'
  || ',"target":' || CASE WHEN target_type IS NULL AND target_id IS NULL THEN 'null'
       ELSE '{"id":' || ${json('target_id')} || ',"type":' || ${json('target_type')} || '}' END
  || ',"time":"' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '","v":1}'`;

const COLUMNS = `id, seq, ${BEFORE_DATA}, data::text, ${AFTER_DATA},
  coalesce(encode(prev_hash, 'hex'), ''), coalesce(encode(hash, 'hex'), '')`;

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
  const res = await pool.query<string[]>({
    text: `SELECT ${COLUMNS} FROM audit_events WHERE ${where} ORDER BY seq LIMIT ${limit}`,
    values: orgId === null ? [afterSeq] : [afterSeq, orgId],
    rowMode: 'array',
  });
  const rows: Row[] = new Array(res.rows.length);
  for (let i = 0; i < res.rows.length; i++) {
    const r = res.rows[i]!;
    const data = r[3] === '{}' ? '{}' : canonicalJson(JSON.parse(r[3]!));
    rows[i] = {
      id: r[0]!,
      seq: Number(r[1]),
      prev: r[5]!,
      hash: r[6]!,
      // One-shot hashing: no Hash object per row.
      recomputed: oneShotHash('sha256', r[2]! + data + r[4]!, 'hex'),
    };
  }
  return rows;
}

/**
 * Checks a chain from its first row and names the first row that does not fit. `checkpoint` must
 * already be checked (signing.ts checkCheckpoint): its seq must be reached with its hash.
 *
 * A sound chain is proven by the fast path (verify-fast.ts: binary COPY in one snapshot, hashing
 * in worker threads); only when that finds something wrong, or with `reference` (tests and the
 * benchmark's baseline), is the chain walked row by row here, which names the first bad row.
 */
export async function verifyChain(
  pool: pg.Pool,
  orgId: string | null,
  opts: { checkpoint?: PortableCheckpoint; batchSize?: number; reference?: boolean; threads?: number } = {},
): Promise<VerifyResult> {
  const cp = opts.checkpoint;
  const headRes = await pool.query<{ seq: string; hash: string }>(
    `SELECT seq, encode(hash, 'hex') AS hash FROM audit_chain_heads WHERE chain = $1`,
    [chainKey(orgId)],
  );
  const head = headRes.rows[0]
    ? { seq: Number(headRes.rows[0].seq), hash: headRes.rows[0].hash }
    : { seq: 0, hash: GENESIS_HEX };
  if (!opts.reference) {
    const fast = await verifyFast(pool, orgId, head, {
      ...(cp ? { checkpoint: cp } : {}),
      ...(opts.threads === undefined ? {} : { threads: opts.threads }),
    });
    if (fast.ok) {
      return {
        ok: true,
        rows: fast.rows,
        head,
        ...(cp ? { checkpoint: { seq: cp.seq, matched: true } } : {}),
      };
    }
  }
  return walkChain(pool, orgId, head, opts);
}

/** The reference walk: every row in seq order, in keyset batches, naming the first bad one. */
async function walkChain(
  pool: pg.Pool,
  orgId: string | null,
  head: { seq: number; hash: string },
  opts: { checkpoint?: PortableCheckpoint; batchSize?: number },
): Promise<VerifyResult> {
  const batchSize = opts.batchSize ?? 20_000;
  const cp = opts.checkpoint;
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
