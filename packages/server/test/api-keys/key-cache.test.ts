import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Found, KeyCache, Lru } from '../../src/services/api-keys/key-cache.js';

const found = (id: string): Found => ({
  previous: false,
  answer: undefined,
  answers: undefined,
  record: {
    id,
    orgId: 'org',
    projectId: 'prj',
    environmentId: 'env',
    environment: 'production',
    name: id,
    scope: 'read',
    metadata: {},
    expiresAt: null,
    revokedAt: null,
    previousExpiresAt: null,
  },
});

describe('Lru', () => {
  it('never holds more than its bound and keeps what was just used', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.nat(200), { maxLength: 500 }), (max, keys) => {
        const lru = new Lru<number>(max);
        for (const k of keys) {
          lru.set(String(k), k);
          expect(lru.get(String(k))).toBe(k);
          expect(lru.size).toBeLessThanOrEqual(max + 1);
        }
      }),
    );
  });

  it('keeps a recently read entry over ones never read again', () => {
    const lru = new Lru<number>(4);
    lru.set('hot', 1);
    for (let i = 0; i < 100; i++) {
      lru.set(`cold${i}`, i);
      expect(lru.get('hot')).toBe(1);
    }
    expect(lru.get('cold0')).toBeUndefined();
  });

  it('a size of 0 caches nothing', () => {
    const lru = new Lru<number>(0);
    lru.set('a', 1);
    expect(lru.get('a')).toBeUndefined();
  });
});

describe('KeyCache', () => {
  it('caches positive and negative answers only while enabled', () => {
    const cache = new KeyCache(10);
    cache.set('a', found('a'), cache.epoch);
    expect(cache.get('a')).toBeUndefined();
    cache.enabled = true;
    cache.set('a', found('a'), cache.epoch);
    cache.set('b', null, cache.epoch);
    expect(cache.get('a')?.record.id).toBe('a');
    expect(cache.get('b')).toBeNull();
    expect(cache.get('c')).toBeUndefined();
    cache.evict(['a', 'b']);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('drops a load that raced with an eviction (the row it read may be stale)', () => {
    const cache = new KeyCache(10);
    cache.enabled = true;
    const epochAtLoad = cache.epoch;
    cache.evict(['x']); // e.g. a revocation committed while the SELECT ran
    cache.set('x', found('x'), epochAtLoad);
    expect(cache.get('x')).toBeUndefined();
    cache.set('x', found('x'), cache.epoch);
    expect(cache.get('x')?.record.id).toBe('x');
  });
});
