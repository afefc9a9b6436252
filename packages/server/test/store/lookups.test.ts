import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLookupCache, LOOKUPS_CHANGED, LOOKUPS_EVENT, TTL_MS } from '../../src/store/lookups.js';
import type { BusSubscriber, EventBus } from '../../src/store/notify.js';

/** A pool and a bus that the test drives by hand: acquire, notice, release, events, connection. */
function setUp() {
  const pool = new EventEmitter();
  let subscriber: BusSubscriber | undefined;
  const bus = {
    connected: true,
    downSince: null,
    subscribe(s: BusSubscriber) {
      subscriber = s;
      return () => {};
    },
    start: async () => {},
    close: async () => {},
  };
  let time = 0;
  const cache = createLookupCache(pool as unknown as pg.Pool, bus as unknown as EventBus, () => time);
  const memo = cache.memo<string | null>();
  let reads = 0;
  let answer: string | null = 'v1';
  const load = async () => {
    reads++;
    return answer;
  };
  const client = () => {
    const c = new EventEmitter();
    pool.emit('acquire', c);
    return {
      notice: (message = LOOKUPS_CHANGED) => c.emit('notice', { message }),
      release: () => pool.emit('release', undefined, c),
    };
  };
  return {
    cache,
    get: (key = 'k') => memo.get(key, load, (v) => v !== null),
    reads: () => reads,
    answer: (v: string | null) => {
      answer = v;
    },
    advance: (ms: number) => {
      time += ms;
    },
    client,
    bus,
    subscriber: () => subscriber!,
  };
}

describe('the look-up memo', () => {
  it('answers from memory for under a second, then reads again', async () => {
    const s = setUp();
    expect(await s.get()).toBe('v1');
    s.answer('v2');
    s.advance(TTL_MS - 1);
    expect(await s.get()).toBe('v1');
    expect(s.reads()).toBe(1);
    s.advance(1);
    expect(await s.get()).toBe('v2');
    expect(s.reads()).toBe(2);
  });

  it('keeps no failure and no answer the caller does not want kept', async () => {
    const s = setUp();
    s.answer(null);
    expect(await s.get()).toBeNull();
    expect(await s.get()).toBeNull();
    expect(s.reads()).toBe(2);
    const memo = s.cache.memo<string>();
    await expect(memo.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await memo.get('k', async () => 'up')).toBe('up');
  });

  it("drops everything on this node's own change at once, and keeps nothing until the writer's transaction is over", async () => {
    const s = setUp();
    await s.get();
    const writer = s.client();
    s.answer('v2');
    writer.notice(); // the trigger, on the writing connection, before its statement returns
    expect(await s.get()).toBe('v2');
    expect(await s.get()).toBe('v2');
    expect(s.reads()).toBe(3); // nothing kept while the change may still roll back or not be seen
    writer.release();
    await s.get();
    await s.get();
    expect(s.reads()).toBe(4);
  });

  it('a read that began before a change keeps nothing of what it read', async () => {
    const s = setUp();
    const memo = s.cache.memo<string>();
    let finish: (v: string) => void = () => {};
    const slow = memo.get('k', () => new Promise<string>((r) => (finish = r)));
    const writer = s.client();
    writer.notice();
    writer.release();
    finish('old');
    expect(await slow).toBe('old');
    expect(await memo.get('k', async () => 'new')).toBe('new');
  });

  it('ignores other notices', async () => {
    const s = setUp();
    await s.get();
    s.client().notice('some other notice');
    await s.get();
    expect(s.reads()).toBe(1);
  });

  it("drops everything on another node's change (the bus), and when the listener comes or goes", async () => {
    const s = setUp();
    await s.get();
    s.subscriber().event({ kind: 'sdk.key' });
    await s.get();
    expect(s.reads()).toBe(1);
    s.subscriber().event({ kind: LOOKUPS_EVENT });
    await s.get();
    expect(s.reads()).toBe(2);
    s.subscriber().status?.(true);
    await s.get();
    expect(s.reads()).toBe(3);
    s.subscriber().reset?.();
    await s.get();
    expect(s.reads()).toBe(4);
  });

  it('is not used at all while the listener is away: an outage never stretches an entry', async () => {
    const s = setUp();
    await s.get();
    s.bus.connected = false;
    s.subscriber().status?.(false);
    await s.get();
    await s.get();
    expect(s.reads()).toBe(3);
    expect(s.cache.size()).toBe(0);
  });
});
