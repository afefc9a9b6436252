#!/usr/bin/env node
// Shared rate limits (issue 16): the verification API's throughput with every limit shared by the
// nodes through Redis, as a share of the same server with in-memory limits (target >= 90%).
// Two server processes on one database (one per kind of limit), cached verification, 50
// connections, in alternating rounds; two traffic shapes:
//   one caller       every request from one address with one PAT (two limit keys, both hot)
//   new addresses    every request from a new address (X-Forwarded-For, LATCH_TRUST_PROXY=1):
//                    the worst case, a new per-address key, so a new Redis entry, per request
//
//   node bench/shared-limits/run.mjs     (or `npm run bench shared-limits`)
//
// Redis: BENCH_REDIS_URL, else REDIS_URL, else redis://127.0.0.1:6379. PostgreSQL as in
// verify-http. BENCH_ROUNDS (default 10) and BENCH_ROUND_SECONDS (default 3) shape the rounds.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchDatabase, cpuMs, fmt, median, startTs, stopTs, writeResults } from '../lib/common.mjs';

const rounds = Number(process.env.BENCH_ROUNDS) || 10;
const roundSeconds = Number(process.env.BENCH_ROUND_SECONDS) || 3;
const redisUrl = process.env.BENCH_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** The verify-http benchmark's server on the shared database and seed, trusting X-Forwarded-For. */
const startServer = (databaseUrl, env) =>
  startTs('bench/verify-http/server.ts', {
    env: { DATABASE_URL: databaseUrl, BENCH_SEED: join(work, 'seed.json'), LATCH_TRUST_PROXY: '1', ...env },
    stdin: 'pipe',
  });

// Redis' own CPU (INFO cpu), so the shared server's cost counts the work it hands to Redis too.
let redisClient;
async function redisCpuMs() {
  if (!redisClient) {
    const { Redis } = await import('ioredis');
    redisClient = new Redis(redisUrl);
  }
  const info = await redisClient.info('cpu');
  const field = (name) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}

let addressCounter = 0;
const nextAddress = () => {
  const n = ++addressCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

async function load(s, shape, duration, withRedis = false) {
  const cpu0 = cpuMs(s.child.pid);
  const redis0 = withRedis ? await redisCpuMs() : 0;
  const headers = { authorization: `Bearer ${s.pat}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ key: s.key });
  const result = await autocannon({
    url: s.app,
    connections: 50,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/verify',
        headers,
        body,
        ...(shape === 'new addresses'
          ? { setupRequest: (req) => ({ ...req, headers: { ...headers, 'x-forwarded-for': nextAddress() } }) }
          : {}),
      },
    ],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${shape}: ${bad} failed requests (non-2xx ${result.non2xx})`);
  const cpu1 = cpuMs(s.child.pid);
  const redis1 = withRedis ? await redisCpuMs() : 0;
  // Server (and Redis) CPU per request: far less sensitive than req/s to other work on a shared
  // machine, where req/s follows whatever CPU share the processes get in that round.
  const cpuUs =
    cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0 + redis1 - redis0) * 1000) / result.requests.total;
  const redisUs = ((redis1 - redis0) * 1000) / result.requests.total;
  return { rps: result.requests.average, p99: result.latency.p99, cpuUs, redisUs };
}

async function redisKeys(prefix) {
  const { Redis } = await import('ioredis');
  const r = new Redis(redisUrl);
  try {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      n += keys.length;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
    return n;
  } finally {
    r.disconnect();
  }
}

const day = new Date().toISOString().slice(0, 10);
const db = await benchDatabase('limits');
const { machine: machineText, work, admin, name: dbName, url: databaseUrl } = db;
const prefix = `latch:bench:${randomBytes(4).toString('hex')}:`;
const servers = [];
try {
  const memory = await startServer(databaseUrl, {});
  servers.push(memory);
  const shared = await startServer(databaseUrl, { BENCH_REDIS_URL: redisUrl, BENCH_REDIS_PREFIX: prefix });
  servers.push(shared);
  console.log(
    `Database ${dbName} on ${admin.label}; Redis ${redisUrl}. ${rounds} rounds of ${roundSeconds} s.`,
  );
  const results = {};
  for (const shape of ['one caller', 'new addresses']) {
    await load(memory, shape, 2);
    await load(shared, shape, 2);
    const runs = { memory: [], shared: [] };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 ? ['shared', 'memory'] : ['memory', 'shared'];
      for (const name of order)
        runs[name].push(
          await load(name === 'memory' ? memory : shared, shape, roundSeconds, name === 'shared'),
        );
    }
    const ratios = runs.shared.map((r, i) => r.rps / runs.memory[i].rps);
    const hasCpu = [...runs.shared, ...runs.memory].every((r) => r.cpuUs !== null);
    // Requests per CPU second, shared as a share of in memory.
    const cpuRatios = hasCpu ? runs.shared.map((r, i) => runs.memory[i].cpuUs / r.cpuUs) : null;
    results[shape] = {
      memory: { rps: median(runs.memory.map((r) => r.rps)), p99: median(runs.memory.map((r) => r.p99)) },
      shared: { rps: median(runs.shared.map((r) => r.rps)), p99: median(runs.shared.map((r) => r.p99)) },
      ratio: median(ratios),
      ratios,
      cpu: hasCpu
        ? {
            memory: median(runs.memory.map((r) => r.cpuUs)),
            shared: median(runs.shared.map((r) => r.cpuUs)),
            redis: median(runs.shared.map((r) => r.redisUs)),
            ratio: median(cpuRatios),
            ratios: cpuRatios,
          }
        : null,
    };
    const r = results[shape];
    console.log(
      `  ${shape}: in memory ${fmt(r.memory.rps)} req/s, shared ${fmt(r.shared.rps)} req/s → ${fmt(r.ratio * 100, 1)}% (target ≥ 90%)`,
    );
    if (r.cpu)
      console.log(
        `    CPU per request: in memory ${fmt(r.cpu.memory, 1)} µs, shared ${fmt(r.cpu.shared, 1)} µs (server + Redis, of it Redis ${fmt(r.cpu.redis, 1)} µs) → ${fmt(r.cpu.ratio * 100, 1)}% by CPU`,
      );
  }
  const keys = await redisKeys(prefix);
  console.log(`  Redis held ${fmt(keys)} limit keys of this run (deleted now).`);
  writeResults(
    'shared-limits',
    [
      '## shared-limits',
      '',
      `${day}, ${machineText}; ${admin.label}, Redis at ${new URL(redisUrl).host}, autocannon, 50 connections, ${rounds} alternating rounds of ${roundSeconds} s per server; the load generator, both servers, PostgreSQL and Redis share the machine.`,
      '',
      'Cached `POST /api/v1/verify` on two server processes that differ only in `REDIS_URL`: limits in memory vs every limit shared through Redis (per address and per credential counted locally and sent in the background, every key spent on in a 50 ms interval in one Lua script call; sign-in, device-code and token limits one atomic Redis increment each). Ratio: median over rounds of shared req/s / in-memory req/s in the same round. Target (issue 16): ≥ 90%.',
      '',
      '| traffic | in memory req/s | shared req/s | in memory p99 ms | shared p99 ms | shared / memory | CPU µs/req in memory | CPU µs/req shared (server + Redis) | of it Redis | shared / memory by CPU |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...Object.entries(results).map(
        ([shape, r]) =>
          `| ${shape} | ${fmt(r.memory.rps)} | ${fmt(r.shared.rps)} | ${r.memory.p99} | ${r.shared.p99} | **${fmt(r.ratio * 100, 1)}%** | ${r.cpu ? fmt(r.cpu.memory, 1) : 'n/a'} | ${r.cpu ? fmt(r.cpu.shared, 1) : 'n/a'} | ${r.cpu ? fmt(r.cpu.redis, 1) : 'n/a'} | ${r.cpu ? `**${fmt(r.cpu.ratio * 100, 1)}%**` : 'n/a'} |`,
      ),
      '',
      "By CPU: requests per CPU second of the shared server plus Redis, as a share of the in-memory server's, median of per-round ratios. It is what the ratio of req/s would be if each server had the CPU to itself, and it moves far less with the load average than req/s does.",
      '',
      `Per round (shared / memory): ${Object.entries(results)
        .map(([shape, r]) => `${shape}: ${r.ratios.map((x) => `${fmt(x * 100, 0)}%`).join(' ')}`)
        .join('; ')}. By CPU: ${Object.entries(results)
        .map(
          ([shape, r]) =>
            `${shape}: ${r.cpu ? r.cpu.ratios.map((x) => `${fmt(x * 100, 0)}%`).join(' ') : 'n/a'}`,
        )
        .join('; ')}. Load average ${fmt(loadavg()[0], 2)} at the end.`,
      '',
      `"new addresses" sends every request from a new X-Forwarded-For address, so each one makes a new per-address key in Redis (${fmt(keys)} keys in this run): the worst case for the background sends: one script call per 50 ms (up to 1,000 keys each) carries them all.`,
      '',
    ].join('\n'),
  );
} finally {
  redisClient?.disconnect();
  for (const s of servers) await stopTs(s);
  await db.cleanUp();
}
