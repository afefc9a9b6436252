/**
 * The access-log benchmark's measuring process (run by run.mjs with
 * `node --conditions=source --import tsx`): the real app's services on DATABASE_URL, in process,
 * so the numbers are the read path's own work, not HTTP's. Prints one `RESULT <json>` line.
 *
 * Rows, each driven by `c` concurrent loops for BENCH_DURATION seconds, alternating in rounds:
 *   get     secretsRead.get as shipped: locate, read, decrypt, one access_events INSERT
 *   access  recordAccess alone (the write each value read now pays)
 *   audit   recordAudit in its own transaction: the hash-chain append a value read paid before
 *           this table existed (same org, so appends queue on its chain head)
 */
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../packages/server/src/app.js';
import { systemClock } from '../../packages/server/src/clock.js';
import { recordAccess } from '../../packages/server/src/services/access-log/access-log.service.js';
import { recordAudit } from '../../packages/server/src/services/audit/audit.service.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';
import { benchConfig, seedOwner } from '../lib/app.js';

const seconds = Number(process.env.BENCH_DURATION) || 3;
const rounds = Number(process.env.BENCH_ROUNDS) || 5;
const database = openDatabase(process.env.DATABASE_URL!, { max: 10 });
await migrate(database.pool);
const app = await buildApp({ database, config: benchConfig({ masterKey: randomBytes(32) }) });
const { actor, orgId } = await seedOwner(app, database, { project: 'bench' });
const reader = { ...actor, ip: '127.0.0.1', requestId: 'bench-request-0001' };
const NAMES = Array.from({ length: 20 }, (_, i) => `SECRET_${i}`);
for (const name of NAMES)
  await app.services.secrets.set(actor, 'bench', 'production', name, randomBytes(24).toString('hex'));

const ops: Record<string, (i: number) => Promise<unknown>> = {
  get: (i) => app.services.secretsRead.get(reader, 'bench', 'production', NAMES[i % NAMES.length]!),
  access: (i) =>
    recordAccess(database.db, systemClock, reader, {
      orgId,
      action: 'secret.read',
      project: 'bench',
      environment: 'production',
      names: [NAMES[i % NAMES.length]!],
      data: { version: 1 },
    }),
  audit: (i) =>
    database.db.transaction((tx) =>
      recordAudit(tx, reader, {
        orgId,
        action: 'secret.read',
        target: { type: 'secret', id: `env:${NAMES[i % NAMES.length]}` },
        data: { project: 'bench', environment: 'production', name: NAMES[i % NAMES.length], version: 1 },
      }),
    ),
};

async function drive(op: (i: number) => Promise<unknown>, c: number, ms: number): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (performance.now() < end) await op(done++);
    }),
  );
  return done / (ms / 1000);
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

const result: Record<string, Record<string, { median: number; rounds: number[] }>> = {};
for (const c of [1, 10]) {
  for (const op of Object.values(ops)) await drive(op, c, 500); // warm-up
  const seen: Record<string, number[]> = { get: [], access: [], audit: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so background load does not favour one row.
    const order = r % 2 ? ['audit', 'access', 'get'] : ['get', 'access', 'audit'];
    for (const name of order) seen[name]!.push(await drive(ops[name]!, c, seconds * 1000));
  }
  result[c] = Object.fromEntries(
    Object.entries(seen).map(([k, v]) => [k, { median: median(v), rounds: v.map(Math.round) }]),
  );
}
console.log(`RESULT ${JSON.stringify(result)}`);
await app.close();
await database.close();
