import type { VerifyResult } from '@latchkey/core';
import type { UsageRow } from './usage.js';

/** One cached answer for one secret (keyed by its SHA-256), with the answers per route scope. */
export type Entry = {
  result: VerifyResult;
  /** The same answer, already settled: a cache hit allocates no promise. */
  settled: Promise<VerifyResult>;
  /** Served as fresh until then (ttl, capped by the key's expiry and rotation grace). */
  freshUntil: number;
  /** Never served past this, not even offline: the key's own expiry or grace end. */
  hardUntil: number;
  /** Route scope → the answer for it, when it differs from the key's own scope. */
  scopes: Map<string, Entry> | null;
  /** Second-chance bit: set by a hit, cleared when eviction passes over the entry. */
  used: boolean;
  /** The usage row this entry's direct hits count in, until a flush sends it. */
  usageRow: UsageRow | null;
};

export function entryFor(result: VerifyResult, now: number, ttlMs: number): Entry {
  Object.freeze(result);
  const hard = Math.min(
    result.expiresAt ? Date.parse(result.expiresAt) : Number.POSITIVE_INFINITY,
    // Both secrets of a rotating key report `rotatingUntil`, and the answer does not say which
    // one this is: after it, ask again rather than keep honouring a possibly replaced secret.
    result.rotatingUntil ? Date.parse(result.rotatingUntil) : Number.POSITIVE_INFINITY,
  );
  return {
    result,
    settled: Promise.resolve(result),
    freshUntil: Math.min(now + ttlMs, hard),
    hardUntil: result.valid ? hard : Number.POSITIVE_INFINITY,
    scopes: null,
    used: false,
    usageRow: null,
  };
}

/**
 * A bounded cache of answers. Positive and negative answers live in separate maps so a flood of
 * unknown keys cannot push real keys out. Eviction is second-chance (CLOCK), an LRU
 * approximation: a hit only sets a flag, where a true LRU would re-insert the key into the Map on
 * every hit, which costs a fifth of a cached verification.
 *
 * Race: a look-up that started before an eviction may carry the old answer. Every eviction bumps
 * `epoch`, and a look-up stores its answer only if the epoch did not move while it ran.
 */
export class VerifyCache {
  private readonly positive = new Map<string, Entry>();
  private readonly negative = new Map<string, Entry>();
  private epochValue = 0;

  constructor(
    private readonly maxPositive: number,
    private readonly maxNegative: number,
  ) {}

  get epoch(): number {
    return this.epochValue;
  }

  get(hash: string): Entry | undefined {
    const hit = this.positive.get(hash) ?? this.negative.get(hash);
    if (hit !== undefined) hit.used = true;
    return hit;
  }

  set(hash: string, entry: Entry, epochAtLoad: number): boolean {
    if (epochAtLoad !== this.epochValue) return false;
    const map =
      entry.result.valid || entry.result.code === 'INSUFFICIENT_SCOPE' ? this.positive : this.negative;
    const max = map === this.positive ? this.maxPositive : this.maxNegative;
    if (max <= 0) return false;
    // Counted as used, so a full cache of hot entries does not evict the one just loaded.
    entry.used = true;
    (map === this.positive ? this.negative : this.positive).delete(hash);
    map.delete(hash);
    map.set(hash, entry);
    if (map.size > max) evictOne(map);
    return true;
  }

  evict(hashes: readonly string[]): void {
    this.epochValue++;
    for (const h of hashes) {
      this.positive.delete(h);
      this.negative.delete(h);
    }
  }

  clear(): void {
    this.epochValue++;
    this.positive.clear();
    this.negative.clear();
  }

  get size(): number {
    return this.positive.size + this.negative.size;
  }
}

/** Oldest first; a used entry gets its flag cleared and goes to the back once. */
function evictOne(map: Map<string, Entry>): void {
  for (const [hash, entry] of map) {
    if (!entry.used) {
      map.delete(hash);
      return;
    }
    entry.used = false;
    map.delete(hash);
    map.set(hash, entry);
  }
}
