/**
 * Where a state-changing request's time goes (bench/audit, part c): one server app in this
 * process on DATABASE_URL, requests sent with app.inject one at a time, every SQL statement
 * counted and timed by wrapping pg's Client#query. Prints `RESULT <json>`: per request kind, the
 * statements (with their share of the time), the total wall time and what is outside SQL.
 *
 *   DATABASE_URL=postgres://… node --conditions=source --import tsx bench/audit/profile.ts
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
// The wrapper below counts the app's statements only; the baseline's own client is made after.
import { buildApp } from '../../packages/server/src/app.js';
import { openDatabase } from '../../packages/server/src/store/db.js';
import { migrate } from '../../packages/server/src/store/migrate.js';
import { benchConfig, seedOwner } from '../lib/app.js';

const N = Number(process.env.PROFILE_REQUESTS) || 600;
type Stat = { n: number; ms: number };
let stats = new Map<string, Stat>();
const original = pg.Client.prototype.query;
// biome-ignore lint/suspicious/noExplicitAny: wrapping pg's overloaded query
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  const text = typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? '?');
  const key = String(text).replace(/\s+/g, ' ').slice(0, 90);
  const t0 = performance.now();
  const done = () => {
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += performance.now() - t0;
    stats.set(key, s);
  };
  // pg-pool's own query (autocommit statements on the pool) passes a callback: timed through it.
  const last = args.length - 1;
  if (typeof args[last] === 'function') {
    const callback = args[last];
    // biome-ignore lint/suspicious/noExplicitAny: as above
    args[last] = (...r: any[]) => {
      done();
      return callback(...r);
    };
  }
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const out = (original as any).apply(this, args);
  if (out && typeof out.then === 'function') out.then(done, done);
  return out;
};

const database = openDatabase(process.env.DATABASE_URL!, { max: 10 });
await migrate(database.pool);
// The worker is off: the requests' own work is measured, and the subscribed endpoint below
// (never delivered to) adds the enqueue of its secret.changed events, not their deliveries.
const app = await buildApp({
  database,
  config: benchConfig({ masterKey: randomBytes(32), effects: { worker: false } }),
});
const manifest = {
  project: 'bench',
  apiKeys: { scopes: { read: { grants: { Project: ['read'], Task: ['read'] } } } },
};
const seeded = await seedOwner(app, database, manifest);
const auth = { authorization: `Bearer ${seeded.pat}`, 'content-type': 'application/json' };
const base = `/api/v1/orgs/${seeded.orgId}/projects/${seeded.project.id}`;
// A second org, with a webhook endpoint subscribed to secret.changed: its PUTs enqueue an effect.
await new Promise((r) => setTimeout(r, 5)); // seedOwner's emails are made of the time
const subscribed = await seedOwner(app, database, manifest, 'bench2_');
await app.services.webhooks.create(subscribed.actor, {
  url: 'https://hooks.example.com/latch',
  events: ['secret.changed'],
});
const subscribedAuth = { authorization: `Bearer ${subscribed.pat}`, 'content-type': 'application/json' };
const subscribedBase = `/api/v1/orgs/${subscribed.orgId}/projects/${subscribed.project.id}`;

type Request = { method: 'POST' | 'PUT'; url: string; payload: string; headers?: Record<string, string> };
const createKey = (): Request => ({
  method: 'POST',
  url: `${base}/api-keys`,
  payload: JSON.stringify({ name: 'bench create', scope: 'read', environment: 'production' }),
});
const putSecret = (projectBase: string) => () => ({
  method: 'PUT' as const,
  url: `${projectBase}/environments/production/secrets/BENCH_${Math.floor(Math.random() * 100)}`,
  payload: JSON.stringify({ value: randomBytes(12).toString('base64url') }),
});
const kinds: Record<string, () => Request> = {
  'POST api-keys': createKey,
  // The same with the node's memo of look-ups (store/lookups.ts) emptied first: a caller this node
  // has not seen within the memo's second pays the credential, org, project, environment and
  // manifest look-ups again.
  'POST api-keys, look-ups not memoised': () => {
    app.services.lookups.clear();
    return createKey();
  },
  'PUT secret': putSecret(base),
  'PUT secret, endpoint subscribed': () => ({ ...putSecret(subscribedBase)(), headers: subscribedAuth }),
};

// The baseline in the same process and database: raw single-row INSERT transactions, one at a
// time, interleaved with the requests in rounds so the shared machine's load hits both alike.
const raw = new pg.Client({ connectionString: process.env.DATABASE_URL });
await raw.connect();
await raw.query(
  'CREATE TABLE IF NOT EXISTS bench_raw (id text PRIMARY KEY, key_hash bytea UNIQUE NOT NULL, data jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
);
const insertRaw = () =>
  raw.query('INSERT INTO bench_raw (id, key_hash, data) VALUES ($1, $2, $3)', [
    randomBytes(12).toString('hex'),
    randomBytes(32),
    '{"name":"bench"}',
  ]);
for (let i = 0; i < 20; i++) await insertRaw();
for (const make of Object.values(kinds)) {
  for (let i = 0; i < 20; i++) await app.inject({ headers: auth, ...make() }); // warm-up
}

// Many short rounds, each interleaving the baseline and every kind in small groups in a rotating
// order, so a change of load on the shared machine (other engineers' suites) hits all of them
// alike within a round; the ratio is the median over rounds.
const ROUNDS = Number(process.env.PROFILE_ROUNDS) || 15;
const GROUP = 5;
const per = Math.max(GROUP, Math.ceil(N / ROUNDS / GROUP) * GROUP);
type Acc = { wall: number; cpu: number; n: number; stats: Map<string, Stat> };
const acc: Record<string, Acc> = {};
let rawWall = 0;
let rawN = 0;
// Per round: ratio raw-INSERT time / request time, so the median is taken over rounds.
const ratios: Record<string, number[]> = {};
const rawPerRound: number[] = [];
const names = ['raw', ...Object.keys(kinds)];
for (let round = 0; round < ROUNDS; round++) {
  const wallOf: Record<string, number> = {};
  for (let g = 0; g < per / GROUP; g++) {
    for (let j = 0; j < names.length; j++) {
      const kind = names[(round + g + j) % names.length]!;
      if (kind === 'raw') {
        // The baseline's own statements are not the app's: counted apart, then dropped.
        stats = new Map();
        const r0 = performance.now();
        for (let i = 0; i < GROUP; i++) await insertRaw();
        wallOf.raw = (wallOf.raw ?? 0) + performance.now() - r0;
        continue;
      }
      const make = kinds[kind]!;
      acc[kind] ??= { wall: 0, cpu: 0, n: 0, stats: new Map() };
      const a = acc[kind];
      stats = a.stats;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < GROUP; i++) {
        const res = await app.inject({ headers: auth, ...make() });
        if (res.statusCode >= 300) throw new Error(`${kind}: ${res.statusCode} ${res.body}`);
      }
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      wallOf[kind] = (wallOf[kind] ?? 0) + wall;
      a.wall += wall;
      a.cpu += (cpu.user + cpu.system) / 1000;
      a.n += GROUP;
    }
  }
  rawWall += wallOf.raw!;
  rawN += per;
  rawPerRound.push(wallOf.raw! / per);
  for (const kind of Object.keys(kinds)) {
    ratios[kind] ??= [];
    ratios[kind].push(wallOf.raw! / wallOf[kind]!);
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
/** The middle half of the rounds' values (25th to 75th percentile): how much they spread. */
const quartiles = (xs: number[]) => {
  const v = [...xs].sort((x, y) => x - y);
  return [v[Math.floor((v.length - 1) / 4)]!, v[Math.ceil((3 * (v.length - 1)) / 4)]!];
};
const result: Record<string, unknown> = {};
for (const [kind, a] of Object.entries(acc)) {
  const statements = [...a.stats].sort((x, y) => y[1].ms - x[1].ms);
  result[kind] = {
    wallMs: a.wall / a.n,
    nodeCpuMs: a.cpu / a.n,
    sqlMs: statements.reduce((s, [, v]) => s + v.ms, 0) / a.n,
    statementsPerRequest: statements.reduce((s, [, v]) => s + v.n, 0) / a.n,
    statements: statements.map(([k, v]) => ({ sql: k, perRequest: v.n / a.n, ms: v.ms / v.n })),
    rawRatio: median(ratios[kind]!),
    rawRatios: ratios[kind],
    rawQuartiles: quartiles(ratios[kind]!),
  };
}
result.raw = { wallMs: rawWall / rawN, perRound: rawPerRound, rounds: ROUNDS, per };
await raw.end();
console.log(`RESULT ${JSON.stringify(result)}`);
await app.close();
await database.close();
