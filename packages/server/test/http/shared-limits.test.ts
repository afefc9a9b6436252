import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { defaultConfig, type ServerConfig } from '../../src/config.js';
import { createLimitStore } from '../../src/http/limit-store.js';
import { createSharedSyncLimiter } from '../../src/http/shared-limits.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { capturedLogger } from '../helpers/logs.js';

// CI runs this file against the machine's Redis (REDIS_URL); a laptop without one skips it.
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const reachable = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(redisUrl);
  const socket = connect(Number(port || 6379), hostname || '127.0.0.1');
  const done = (ok: boolean) => {
    socket.destroy();
    resolve(ok);
  };
  socket.setTimeout(1000, () => done(false));
  socket.on('connect', () => done(true));
  socket.on('error', () => done(false));
});
if (!reachable) console.warn(`shared-limits: no Redis at ${redisUrl}; skipped (CI runs it with REDIS_URL)`);

const limits: Partial<ServerConfig['rateLimits']> = {
  perCredential: { points: 30, durationSeconds: 60 },
  signIn: { points: 10, durationSeconds: 60 },
};

async function nodesOn(db: ReturnType<typeof useTestDatabase>, n: number, overrides: Partial<ServerConfig>) {
  const nodes: TestApp[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push(
      await createTestApp(db.database, {
        ...overrides,
        rateLimits: { ...defaultConfig().rateLimits, ...limits, ...overrides.rateLimits },
      }),
    );
  }
  return nodes;
}

describe.skipIf(!reachable)('rate limits shared by three nodes through Redis', () => {
  const db = useTestDatabase();
  // One key space per run, so reruns and the other test runs on this Redis never meet.
  const redisKeyPrefix = `latch:test:${randomBytes(6).toString('hex')}:`;
  let nodes: TestApp[] = [];
  beforeAll(async () => {
    nodes = await nodesOn(db, 3, { redisUrl, redisKeyPrefix });
  });
  afterAll(async () => {
    for (const n of nodes) await n.app.close();
  });

  it('gives a credential its limit once across the nodes, not once per node', async () => {
    const me = await nodes[0]!.signUp();
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const node = nodes[i % 3]!;
      const res = await node.app.inject({ method: 'GET', url: '/api/v1/me', headers: node.auth(me.token) });
      statuses.push(res.statusCode);
    }
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // In memory each node would allow 30 (90 in all). Shared, a node may act on a count one
    // answer old: at most one request over per node.
    expect(ok).toBeGreaterThanOrEqual(30);
    expect(ok).toBeLessThanOrEqual(33);
    // Once over, every node refuses.
    const last = await Promise.all(
      nodes.map((n) => n.app.inject({ method: 'GET', url: '/api/v1/me', headers: n.auth(me.token) })),
    );
    expect(last.map((r) => r.statusCode)).toEqual([429, 429, 429]);
    expect(last[0]!.headers['retry-after']).toBeDefined();
  });

  it('counts sign-in attempts exactly across the nodes', async () => {
    const key = `ip:198.51.100.${Math.floor(Math.random() * 200)}`;
    let allowed = 0;
    let refused = 0;
    for (let i = 0; i < 15; i++) {
      try {
        await nodes[i % 3]!.app.limiters.signIn.consume(key);
        allowed++;
      } catch (err) {
        expect((err as { code?: string }).code).toBe('RATE_LIMITED');
        refused++;
      }
    }
    expect({ allowed, refused }).toEqual({ allowed: 10, refused: 5 });
  });

  it('reports the store as up in /metrics, in a format promtool accepts', async () => {
    const res = await nodes[1]!.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/^latch_rate_limit_store_up 1$/m);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: res.body, encoding: 'utf8' });
    if (promtool.error)
      throw new Error(`promtool is needed (${promtool.error.message}): apt-get install -y prometheus`);
    expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
  });

  it("falls back to this node's share of a limit, never looser, when Redis is unreachable", async () => {
    const captured = capturedLogger('warn');
    // A closed port: every command fails at once, as when Redis is down.
    const lonely = await createTestApp(
      db.database,
      {
        redisUrl: 'redis://127.0.0.1:1',
        redisKeyPrefix,
        rateLimits: { ...defaultConfig().rateLimits, ...limits },
      },
      { logger: captured.logger },
    );
    try {
      const live = lonely.app.nodes.count();
      expect(live).toBe(4);
      const key = 'ip:203.0.113.9';
      let allowed = 0;
      for (let i = 0; i < 10; i++) {
        try {
          await lonely.app.limiters.signIn.consume(key);
          allowed++;
        } catch (err) {
          expect((err as { code?: string }).code).toBe('RATE_LIMITED');
        }
      }
      // 10 sign-ins per minute shared by 4 nodes: this one allows floor(10 / 4) on its own.
      expect(allowed).toBe(2);
      expect(captured.lines.some((l) => l.includes('Redis (REDIS_URL) is not reachable'))).toBe(true);
      const metrics = await lonely.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/^latch_rate_limit_store_up 0$/m);
      expect(metrics.body).toMatch(/^latch_rate_limit_store_errors_total [1-9]/m);
    } finally {
      await lonely.app.close();
    }
  });
});

describe.skipIf(!reachable)('per-request limits batched to Redis', () => {
  const prefix = `latch:test:${randomBytes(6).toString('hex')}:`;
  const log = { warn: () => {}, info: () => {} };
  // Three stores, three connections: three nodes' limiters, without the rest of the app.
  const stores = [0, 1, 2].map(() => createLimitStore({ url: redisUrl, prefix, nodeCount: () => 3, log }));
  const rule = { points: 300, durationSeconds: 60 };
  const limiters = stores.map((s) => createSharedSyncLimiter(rule, 'requests', 'address', systemClock, s));
  const settle = () => new Promise((r) => setTimeout(r, 120));
  beforeAll(async () => {
    for (const s of stores) expect(await s.ready(2000)).toBe(true);
  });
  afterAll(async () => {
    for (const l of limiters) l.close();
    for (const s of stores) await s.close();
  });

  it("sends many new keys from several nodes, and Redis holds each one's sum", async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `ip:10.1.${i >> 8}.${i & 255}`);
    for (const l of limiters) for (const k of keys) l.consume(k);
    const r = stores[0]!.redis;
    const sample = [keys[0]!, keys[1234]!, keys[2999]!].map((k) => `${prefix}address:${k}`);
    // Flushed every 50 ms in batches of up to 1,000 keys: 9,000 counts take several batches, so
    // poll rather than sleep (a loaded machine runs the flush timers late).
    await vi.waitFor(
      async () => expect(await Promise.all(sample.map((k) => r.get(k)))).toEqual(['3', '3', '3']),
      { timeout: 10_000, interval: 50 },
    );
    const ttl = await r.pttl(sample[0]!);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('holds a limit across the nodes when every node spends below its send-at-once mark', {
    timeout: 30_000,
  }, async () => {
    const key = 'ip:192.0.2.77';
    let allowed = 0;
    let refusedEverywhere = false;
    for (let round = 0; round < 80 && !refusedEverywhere; round++) {
      let refused = 0;
      // 2 points a node per 50 ms interval: under 1% of 300, so only the batches carry them.
      for (const l of limiters) {
        for (let i = 0; i < 2; i++) {
          try {
            l.consume(key);
            allowed++;
          } catch (err) {
            expect((err as { code?: string }).code).toBe('RATE_LIMITED');
            refused++;
          }
        }
      }
      refusedEverywhere = refused === 6;
      await settle();
    }
    expect(refusedEverywhere).toBe(true);
    // In memory each node would allow 300. Shared: at most one interval's spending over.
    expect(allowed).toBeGreaterThanOrEqual(300);
    expect(allowed).toBeLessThanOrEqual(306);
  });
});

describe('nodes without REDIS_URL', () => {
  const db = useTestDatabase();

  it('warn at start when another node shares the database', async () => {
    const first = await createTestApp(db.database);
    const captured = capturedLogger('warn');
    const second = await createTestApp(db.database, {}, { logger: captured.logger });
    try {
      expect(second.app.nodes.count()).toBe(2);
      const warning = captured.lines.find((l) => l.includes('share this database'));
      expect(warning).toBeDefined();
      expect(warning).toContain('REDIS_URL');
    } finally {
      await second.app.close();
      await first.app.close();
    }
    // A node that stopped is no longer counted by the next one.
    const third = await createTestApp(db.database);
    try {
      expect(third.app.nodes.count()).toBe(1);
    } finally {
      await third.app.close();
    }
  });
});
