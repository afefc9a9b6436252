import type pg from 'pg';
import type { EventBus } from './notify.js';

/**
 * A per-node memo of the look-ups nearly every request makes before its own work: the credential
 * behind a bearer token, the caller's standing in the org, the project, the environment and its
 * current manifest. Without it a typical state-changing request spends five round trips on rows
 * that change a few times a day.
 *
 * Staleness bound, for every entry: the database triggers of migration 0028 report each change of
 * the rows these look-ups read (tokens, users, memberships, orgs, service accounts, projects,
 * environments, manifests; inserts too where a new row changes an answer), and
 *   - on the node that makes the change, at once: the trigger's NOTICE reaches the writing
 *     connection before its statement returns, which drops everything and stops new entries
 *     until that connection is back in the pool (after its commit or rollback), so nothing read
 *     before the commit is kept;
 *   - on every other node, when its listener hears the trigger's NOTIFY (the event bus: sent on
 *     commit, typically within milliseconds);
 *   - and in any case within TTL_MS (1 s, SPEC 2's revocation goal), by the real clock: a listener
 *     that is silently cut off (noticed by its ping within 8 s) cannot stretch an entry further.
 * While the listener is away nothing is cached or served from the cache: a database outage never
 * extends an entry's life. Only answers are kept, never failures; callers still check what
 * depends on the time (a credential's expiry, a rotation's grace) on every use.
 */
export const TTL_MS = 1_000;
const MAX_ENTRIES = 10_000;

/** What the triggers of migration 0028 raise on the writing connection (and NOTIFY to the others). */
export const LOOKUPS_CHANGED = 'latch_lookups_changed';
export const LOOKUPS_EVENT = 'lookups.changed';

type Entry<V> = { value: V; until: number };

export type Memo<V> = {
  /**
   * The cached answer for `key`, or `load()`'s (kept when nothing changed meanwhile). `keep`
   * decides which answers may be kept (e.g. not "no such row").
   */
  get(key: string, load: () => Promise<V>, keep?: (value: V) => boolean): Promise<V>;
};

export type LookupCache = {
  memo<V>(): Memo<V>;
  /** Drops every entry (a change was seen). */
  clear(): void;
  /** Entries across all memos, for tests. */
  size(): number;
  /** Stops listening (the app closes; its pool may live on). */
  close(): void;
};

/** No cache: every look-up reads the database (no bus to hear other nodes' changes by). */
export const noLookupCache: LookupCache = {
  memo: () => ({ get: (_key, load) => load() }),
  clear() {},
  size: () => 0,
  close() {},
};

type Watcher = { changed(client: pg.PoolClient): void; released(client: pg.PoolClient): void };
const watchers = new WeakMap<pg.Pool, Set<Watcher>>();

/**
 * Hears the triggers' NOTICE on every connection of `pool`, and each connection's return to it.
 * One set of listeners per pool, however many caches (apps) share it.
 */
function watch(pool: pg.Pool, watcher: Watcher): () => void {
  let set = watchers.get(pool);
  if (set === undefined) {
    const all = new Set<Watcher>();
    set = all;
    watchers.set(pool, all);
    const hooked = new WeakSet<pg.PoolClient>();
    // Every check-out, so connections opened before the cache existed are heard too.
    pool.on('acquire', (client) => {
      if (hooked.has(client)) return;
      hooked.add(client);
      client.on('notice', (msg) => {
        if (msg.message === LOOKUPS_CHANGED) for (const w of all) w.changed(client);
      });
    });
    pool.on('release', (_err, client) => {
      for (const w of all) w.released(client);
    });
    pool.on('remove', (client) => {
      for (const w of all) w.released(client as pg.PoolClient);
    });
  }
  set.add(watcher);
  return () => set.delete(watcher);
}

export function createLookupCache(pool: pg.Pool, bus: EventBus, now = () => performance.now()): LookupCache {
  const memos: Map<string, Entry<unknown>>[] = [];
  // Bumped by every change seen: a load that began before one does not keep what it read.
  let generation = 0;
  // This node's connections that changed a looked-up row and are not yet back in the pool.
  const writing = new Set<pg.PoolClient>();

  function clear() {
    generation++;
    for (const m of memos) m.clear();
  }

  const unwatch = watch(pool, {
    changed(client) {
      writing.add(client);
      clear();
    },
    // Back in the pool after its transaction ended: once more, so a load that read the rows
    // before the commit (and so began before this) keeps nothing.
    released(client) {
      if (writing.delete(client)) clear();
    },
  });
  const unsubscribe = bus.subscribe({
    event(event) {
      if (event.kind === LOOKUPS_EVENT) clear();
    },
    // Changes are not heard while the listener is away; it is not used then, and starts empty.
    status: clear,
    reset: clear,
  });

  return {
    memo<V>(): Memo<V> {
      const entries = new Map<string, Entry<V>>();
      memos.push(entries as Map<string, Entry<unknown>>);
      return {
        async get(key, load, keep) {
          if (!bus.connected) return load();
          const t = now();
          const hit = entries.get(key);
          if (hit !== undefined) {
            if (hit.until > t) return hit.value;
            entries.delete(key);
          }
          const started = generation;
          const value = await load();
          if (started === generation && writing.size === 0 && bus.connected && (keep?.(value) ?? true)) {
            // A crude bound on memory: entries are small and the set of hot ones is smaller.
            if (entries.size >= MAX_ENTRIES) entries.clear();
            entries.set(key, { value, until: t + TTL_MS });
          }
          return value;
        },
      };
    },
    clear,
    size: () => memos.reduce((n, m) => n + m.size, 0),
    close() {
      unwatch();
      unsubscribe();
      clear();
    },
  };
}
