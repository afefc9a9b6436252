// What /metrics adds to a request, measured in-process (no HTTP): `npx tsx bench/metrics-overhead.ts`.
// Not a bench/ folder on purpose: `npm run bench` runs the end-to-end benchmarks only.
//  - request: Fastify's onResponse hook runner with the route's recorder, against calling the
//    callback directly, as Fastify does for a route without onResponse hooks;
//  - verification: the outcome and cache counters (plain increments) on a cached answer.
import { createRequire } from 'node:module';
import { VERIFY_CODES, type VerifyCode } from '@latchkey/core';
import Fastify, { type FastifyReply, type FastifyRequest, type onResponseHookHandler } from 'fastify';
import { systemClock } from '../packages/server/src/clock.js';
import { defaultConfig } from '../packages/server/src/config.js';
import { createLimiters } from '../packages/server/src/http/limiters.js';
import { createMetrics } from '../packages/server/src/http/metrics.js';

const require = createRequire(import.meta.resolve('fastify'));
const { onResponseHookRunner } = require('./lib/hooks.js') as {
  onResponseHookRunner(
    fns: onResponseHookHandler[],
    req: FastifyRequest,
    reply: FastifyReply,
    cb: (err: unknown, req: FastifyRequest, reply: FastifyReply) => void,
  ): void;
};

const N = 1_000_000;
const ROUNDS = 5;

function time(label: string, fn: () => void): number {
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / N);
  }
  const best = Math.min(...samples);
  console.log(`${label.padEnd(58)} ${best.toFixed(1)} ns/op (best of ${ROUNDS} × ${N})`);
  return best;
}

// The recorder exactly as a route gets it: createMetrics on a real Fastify instance.
const app = Fastify();
const stats = { outcomes: {} as Record<VerifyCode, number>, cacheHits: 0, cacheMisses: 0, missQueries: 0 };
for (const code of VERIFY_CODES) stats.outcomes[code] = 0;
const fakePool = { totalCount: 0, idleCount: 0, waitingCount: 0 } as never;
createMetrics(app, {
  pools: { main: fakePool, verify: fakePool },
  verifyStats: stats,
  limiters: createLimiters(defaultConfig(), systemClock),
  auditRowsWritten: () => 0,
  auditCheckpointBacklog: async () => ({ ageSeconds: 0, rows: 0 }),
});
let hook: onResponseHookHandler | undefined;
app.addHook('onRoute', (route) => {
  hook ??= ([] as onResponseHookHandler[]).concat((route.onResponse as never) ?? []).at(-1);
});
app.get('/api/v1/orgs/:org/things/:id', async () => 'ok');
await app.ready();
if (!hook) throw new Error('no recorder was attached');
const hooks = [hook];

let sink = 0;
const cb = () => {
  sink++;
};
// reply.elapsedTime after the response finished: a getter over two stored numbers.
const reply = {
  statusCode: 200,
  get elapsedTime() {
    return 1.25 + (sink & 7);
  },
} as unknown as FastifyReply;
const req = {} as FastifyRequest;

const bare = time('no onResponse hook (callback called directly)', () => {
  for (let i = 0; i < N; i++) cb();
});
const withHook = time('onResponse hook runner + request recorder', () => {
  for (let i = 0; i < N; i++) onResponseHookRunner(hooks, req, reply, cb);
});
console.log(`=> a request costs ${(withHook - bare).toFixed(1)} ns more\n`);

const results = [
  Object.freeze({ code: 'VALID' as VerifyCode }),
  Object.freeze({ code: 'NOT_FOUND' as VerifyCode }),
];
const plain = time('cached verification: no counters', () => {
  for (let i = 0; i < N; i++) sink += results[i & 1]!.code.length;
});
const counted = time('cached verification: cache hit + outcome counters', () => {
  for (let i = 0; i < N; i++) {
    stats.cacheHits++;
    const r = results[i & 1]!;
    stats.outcomes[r.code]++;
    sink += r.code.length;
  }
});
console.log(`=> a verification costs ${(counted - plain).toFixed(1)} ns more`);
if (sink === 0) console.log('');
await app.close();
