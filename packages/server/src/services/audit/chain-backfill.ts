import type pg from 'pg';
import { chainKey } from './chain-append.js';
import { type ChainedContent, GENESIS_HASH, hashChained } from './chain-encoding.js';

const BATCH = 1000;

/**
 * Start-up, after the migrations: chains the rows written before the hash chain existed (seq
 * NULL), oldest id first, after whatever the chain already holds. Each chain is done in one
 * transaction holding its head row, so a node already serving cannot interleave appends. Their
 * created_at is cut to milliseconds, the precision the encoding covers, so what is stored is
 * exactly what was hashed. Returns the number of rows chained (0 on every start but the first).
 */
export async function chainUnchainedRows(pool: pg.Pool): Promise<number> {
  const chains = await pool.query<{ org_id: string | null }>(
    'SELECT DISTINCT org_id FROM audit_events WHERE seq IS NULL',
  );
  let total = 0;
  for (const { org_id: orgId } of chains.rows) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      total += await chainOne(client, orgId);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
  return total;
}

async function chainOne(client: pg.PoolClient, orgId: string | null): Promise<number> {
  const chain = chainKey(orgId);
  // The no-op update takes the head row's lock, as an append would.
  const head = await client.query<{ seq: string; hash: Buffer }>(
    `INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ($1, 0, $2)
     ON CONFLICT (chain) DO UPDATE SET seq = audit_chain_heads.seq RETURNING seq, hash`,
    [chain, GENESIS_HASH],
  );
  let seq = Number(head.rows[0]!.seq);
  let prev = head.rows[0]!.hash;
  let done = 0;
  let lastAt: Date | null = null;
  for (;;) {
    const rows = await client.query(
      `SELECT id, actor_type, actor_id, actor_label, ip, request_id, action, target_type, target_id,
         date_trunc('milliseconds', created_at) AS created_at, data
       FROM audit_events WHERE seq IS NULL AND ${orgId === null ? 'org_id IS NULL' : 'org_id = $2'}
       ORDER BY id LIMIT $1`,
      orgId === null ? [BATCH] : [BATCH, orgId],
    );
    if (rows.rows.length === 0) break;
    const ids: string[] = [];
    const seqs: number[] = [];
    const prevs: Buffer[] = [];
    const hashes: Buffer[] = [];
    for (const r of rows.rows) {
      const content: ChainedContent = {
        orgId,
        actorType: r.actor_type,
        actorId: r.actor_id,
        actorLabel: r.actor_label,
        ip: r.ip,
        requestId: r.request_id,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        createdAt: r.created_at,
        data: r.data,
      };
      const hash = hashChained(content, prev);
      ids.push(r.id);
      seqs.push(++seq);
      prevs.push(prev);
      hashes.push(hash);
      prev = hash;
      lastAt = r.created_at;
    }
    await client.query(
      `UPDATE audit_events e SET seq = u.seq, prev_hash = u.prev, hash = u.hash,
         created_at = date_trunc('milliseconds', e.created_at)
       FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS u(id, seq, prev, hash)
       WHERE e.id = u.id`,
      [ids, seqs, prevs, hashes],
    );
    done += rows.rows.length;
  }
  // at: appends after these never take an earlier time.
  await client.query(
    'UPDATE audit_chain_heads SET seq = $2, hash = $3, at = greatest(at, coalesce($4, at)) WHERE chain = $1',
    [chain, seq, prev, lastAt],
  );
  return done;
}
