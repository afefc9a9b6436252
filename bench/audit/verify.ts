/**
 * The verification part of the audit benchmark (run by run.mjs with
 * `node --conditions=source --import tsx`): fills one org's chain with BENCH_ROWS (default
 * 1,000,000) rows shaped like real `secret.set` entries, chained exactly as appends chain them,
 * then times verifyChain over it (the fast path against the reference walk, interleaved). Prints
 * `RESULT <json>`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  type ChainedContent,
  GENESIS_HASH,
  hashChained,
} from '../../packages/server/src/services/audit/chain-encoding.js';
import { verifyChain } from '../../packages/server/src/services/audit/verify.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';

const total = Number(process.env.BENCH_ROWS) || 1_000_000;
const rounds = Number(process.env.BENCH_VERIFY_RUNS) || 3;
const database = openDatabase(process.env.DATABASE_URL!, { max: 4 });
await migrate(database.pool);
const orgId = 'org_benchverify';
const batch = 10_000;
const start = Date.UTC(2026, 0, 1);

const seedStarted = performance.now();
let prev: Buffer = GENESIS_HASH;
for (let from = 0; from < total; from += batch) {
  const cols: unknown[][] = Array.from({ length: 10 }, () => []);
  for (let i = from; i < Math.min(from + batch, total); i++) {
    const version = (i % 7) + 1;
    const c: ChainedContent = {
      orgId,
      actorType: 'user',
      actorId: 'usr_4Jq9ZkV1mXc2Lp8Rt',
      actorLabel: 'dana@example.com',
      ip: '10.0.0.7',
      requestId: `req_bench${i.toString(36)}`,
      action: 'secret.set',
      targetType: 'secret',
      targetId: `env_7GQpXk2vN9bLr4TzW:DATABASE_URL_${i % 50}`,
      createdAt: new Date(start + i * 10),
      data: { project: 'bench', environment: 'production', name: `DATABASE_URL_${i % 50}`, version },
    };
    const hash = hashChained(c, prev);
    const row = [
      i + 1,
      c.actorId,
      c.requestId,
      c.targetId,
      c.createdAt,
      JSON.stringify(c.data),
      prev,
      hash,
      c.ip,
      c.actorLabel,
    ];
    for (const [k, v] of row.entries()) cols[k]!.push(v);
    prev = hash;
  }
  await database.pool.query(
    `INSERT INTO audit_events (org_id, actor_type, action, target_type, seq, actor_id, request_id, target_id,
       created_at, data, prev_hash, hash, ip, actor_label)
     SELECT $1, 'user', 'secret.set', 'secret', * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[],
       $6::timestamptz[], $7::jsonb[], $8::bytea[], $9::bytea[], $10::text[], $11::text[])`,
    [orgId, ...cols],
  );
}
await database.pool.query(
  `INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ($1, $2, $3)
   ON CONFLICT (chain) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash`,
  [orgId, total, prev],
);
await database.pool.query('VACUUM ANALYZE audit_events');
const seedSeconds = (performance.now() - seedStarted) / 1000;

// The fast path (binary COPY in one snapshot, hashing in worker threads) and, as the baseline, the
// reference walk (keyset batches, JSON.parse and re-encoding in Node), alternating which goes first.
const seconds: number[] = [];
const referenceSeconds: number[] = [];
// CPU time as well as wall time: on the shared machine the wall time mostly measures the other
// engineers' load, while the CPU seconds a verification costs (this process with its threads, and
// the PostgreSQL backends of this database, read from /proc) hardly move with it.
const cpuMicros: number[] = [];
const referenceCpuMicros: number[] = [];
const backendCpu = async (): Promise<number> => {
  const pids = await database.pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  const tick = 1e6 / 100; // µs per clock tick (CLK_TCK is 100 on Linux)
  let sum = 0;
  for (const { pid } of pids.rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      sum += (Number(fields[11]) + Number(fields[12])) * tick; // utime, stime
    } catch {
      // Not on this machine's /proc (a remote database): PostgreSQL's share is left out.
    }
  }
  return sum;
};
const time = async (reference: boolean) => {
  const pg0 = await backendCpu();
  const cpu0 = process.cpuUsage();
  const t = performance.now();
  const result = await verifyChain(database.pool, orgId, { reference });
  if (!result.ok || result.rows !== total) throw new Error(`verification failed: ${JSON.stringify(result)}`);
  (reference ? referenceSeconds : seconds).push((performance.now() - t) / 1000);
  const cpu = process.cpuUsage(cpu0);
  const pg = (await backendCpu()) - pg0;
  (reference ? referenceCpuMicros : cpuMicros).push(cpu.user + cpu.system + pg);
};
for (let r = 0; r < rounds; r++) {
  for (const reference of r % 2 ? [true, false] : [false, true]) await time(reference);
}

// The floor: SHA-256 alone over the same number of ~400-byte encodings, in this process.
const sample = 'x'.repeat(400);
const h = performance.now();
for (let i = 0; i < total; i++) createHash('sha256').update(sample).digest('hex');
const hashOnlySeconds = (performance.now() - h) / 1000;

console.log(
  `RESULT ${JSON.stringify({ rows: total, seconds, referenceSeconds, cpuMicros, referenceCpuMicros, seedSeconds, hashOnlySeconds, threads: availableParallelism() })}`,
);
await database.close();
