import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import type { ManifestInput } from '@latchkey/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createFetchHandler, type FetchHandler, ok } from '../src/index.js';

const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** CI has a Redis (DESIGN: Tests) and must fail without it; a laptop without one skips. */
async function reachable(target: string): Promise<boolean> {
  const { hostname, port } = new URL(target);
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(1000);
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.once('timeout', () => done(false));
    s.connect(Number(port || 6379), hostname);
  });
}
const required = Boolean(process.env.REDIS_URL || process.env.CI);
const available = await reachable(url);

const manifest: ManifestInput = {
  project: 'acme',
  routes: [{ prefix: '/hooks', auth: 'none', rateLimit: '3/minute', routes: { 'POST /ping': 'ping' } }],
};

describe.skipIf(!available && !required)(`rate limits shared through Redis (${url})`, () => {
  const replicas: FetchHandler[] = [];
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const c of clients) c.disconnect();
  });

  it('two app replicas share one budget per client address', async () => {
    // A fresh prefix per run: counts from an earlier run must not leak in.
    const keyPrefix = `latch-test:${randomBytes(4).toString('hex')}`;
    const shared = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    clients.push(shared);
    await new Promise((resolve, reject) => {
      shared.once('ready', resolve);
      shared.once('error', reject);
    });
    const a = createFetchHandler(manifest, {
      handlers: { ping: () => ok('pong') },
      rateLimit: { redis: shared, keyPrefix },
    });
    // The other replica connects by URL itself, as an app configured with REDIS_URL would.
    const b = createFetchHandler(manifest, {
      handlers: { ping: () => ok('pong') },
      rateLimit: { redis: url, keyPrefix },
    });
    replicas.push(a, b);
    const ping = (h: FetchHandler, ip: string) =>
      h(new Request('http://app/hooks/ping', { method: 'POST' }), { ip });

    const first = await ping(a, '203.0.113.7');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-remaining')).toBe('2');
    expect((await ping(b, '203.0.113.7')).headers.get('ratelimit-remaining')).toBe('1');
    expect((await ping(a, '203.0.113.7')).status).toBe(200);
    const refused = await ping(b, '203.0.113.7');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).error.code).toBe('RATE_LIMITED');
    // Another client address has its own budget.
    expect((await ping(b, '198.51.100.1')).status).toBe(200);
    const keys = await shared.keys(`${keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
  });
});
