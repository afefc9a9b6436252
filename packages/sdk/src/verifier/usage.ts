import type { UsageItem, UsageReportBody } from '@latchkey/core';
import type { Api } from '../api.js';

/** One verification outcome, as the route layer (or a direct verify) saw it. */
export type UsageEvent = { keyId: string; route: string | null; outcome: string; latencyMs: number };

export type UsageOptions = {
  /** How often batches go out (default 5 s). */
  flushIntervalMs?: number;
  /** Distinct key/route/outcome rows held between flushes (default 10,000); beyond, events are dropped and counted. */
  maxBuffered?: number;
  /**
   * Outcomes reported one by one (time and latency) per flush (default 20,000); beyond, they are
   * still counted in their row, and the server stores the rest as one aggregate row. 0: counts only.
   */
  maxEvents?: number;
};

/** One aggregated row of a report; mutable until the flush that sends it. */
export type UsageRow = {
  keyId: string;
  route: string | null;
  outcome: string;
  count: number;
  total: number;
  max: number;
  last: number;
  /** Set by the flush that sends the row: later uses go into a new one. */
  sent: boolean;
};

/**
 * Usage goes back to the server in batches, aggregated per key, route and outcome, so memory is
 * bounded by the number of distinct rows, not by traffic. Recording is a Map update: it never
 * waits on the network, and a failed report is dropped (and counted) rather than retried into an
 * ever-growing buffer.
 *
 * Each outcome is also noted on its own (its row, time and latency) in preallocated parallel
 * arrays, so the hot path writes three slots and allocates nothing; the flush groups them into
 * their rows' `events`. The arrays are bounded (`maxEvents`): past that, outcomes are only counted.
 */
export function createUsageReporter(
  api: Api,
  path: string,
  environment: string,
  opts: UsageOptions = {},
  clock: { now(): number } = { now: Date.now },
) {
  const max = opts.maxBuffered ?? 10_000;
  let rows = new Map<string, UsageRow>();
  // Uses of one cached answer on one route share a row: identity look-ups instead of building a
  // string key per request.
  let byAnswer = new WeakMap<object, Map<string | null, UsageRow>>();
  let dropped = 0;
  let droppedTotal = 0;
  let sent = 0;
  let inflight: Promise<void> | undefined;
  const cap = opts.maxEvents ?? 20_000;
  let evRow: (UsageRow | undefined)[] = new Array(cap);
  let evAt = new Float64Array(cap);
  let evMs = new Float32Array(cap);
  let evCount = 0;
  const timer = setInterval(() => void flush(), opts.flushIntervalMs ?? 5_000);
  timer.unref();

  async function flush(): Promise<void> {
    await inflight;
    if (rows.size === 0 && dropped === 0) return;
    const batch = rows;
    const lost = dropped;
    rows = new Map();
    byAnswer = new WeakMap();
    // Rows handed out to callers (see `hit`) must not be counted in once they are on their way.
    for (const r of batch.values()) r.sent = true;
    dropped = 0;
    // Events grouped by their row; the arrays are swapped for fresh ones (the flush is async).
    const perRow = new Map<UsageRow, [number, number][]>();
    const [rowsOf, atOf, msOf, n] = [evRow, evAt, evMs, evCount];
    if (n > 0) {
      evRow = new Array(cap);
      evAt = new Float64Array(cap);
      evMs = new Float32Array(cap);
      evCount = 0;
    }
    for (let i = 0; i < n; i++) {
      const row = rowsOf[i] as UsageRow;
      let list = perRow.get(row);
      if (!list) {
        list = [];
        perRow.set(row, list);
      }
      list.push([atOf[i] as number, msOf[i] as number]);
    }
    const items: UsageItem[] = [...batch.values()].map((r) => ({
      keyId: r.keyId,
      route: r.route,
      outcome: r.outcome,
      count: r.count,
      latencyMsTotal: r.total,
      latencyMsMax: r.max,
      lastAt: new Date(r.last).toISOString(),
      ...(perRow.has(r) ? { events: perRow.get(r) } : {}),
    }));
    const body: UsageReportBody = { environment, items, dropped: lost };
    inflight = api
      .request('POST', path, body)
      .then(() => {
        sent += items.length;
      })
      .catch(() => {
        for (const r of batch.values()) dropped += r.count;
        droppedTotal += [...batch.values()].reduce((n, r) => n + r.count, 0);
      })
      .finally(() => {
        inflight = undefined;
      });
    await inflight;
  }

  /** One outcome on its own, in the row that counts it: three array slots, no allocation. */
  function note(row: UsageRow, at: number, latencyMs: number): void {
    const i = evCount;
    if (i >= cap) return;
    evRow[i] = row;
    evAt[i] = Math.round(at);
    evMs[i] = latencyMs;
    evCount = i + 1;
  }

  function record(e: UsageEvent): UsageRow | null {
    const key = `${e.keyId}\u0000${e.route ?? ''}\u0000${e.outcome}`;
    const row = rows.get(key);
    if (row) {
      row.count++;
      row.total += e.latencyMs;
      if (e.latencyMs > row.max) row.max = e.latencyMs;
      row.last = clock.now();
      note(row, row.last, e.latencyMs);
      return row;
    }
    if (rows.size >= max) {
      dropped++;
      droppedTotal++;
      return null;
    }
    const fresh = {
      keyId: e.keyId,
      route: e.route,
      outcome: e.outcome,
      count: 1,
      total: e.latencyMs,
      max: e.latencyMs,
      last: clock.now(),
      sent: false,
    };
    rows.set(key, fresh);
    note(fresh, fresh.last, e.latencyMs);
    return fresh;
  }

  return {
    record(e: UsageEvent): void {
      record(e);
    },
    /**
     * One use of a verification answer (outcome = its code): the hot path. Answers the row it
     * counted in: a caller may keep it and count further uses in it (`count`, `last`) until the
     * flush that sends it marks it `sent`.
     */
    hit(
      answer: { keyId: string | null; code: string },
      route: string | null,
      latencyMs: number,
      now: number,
    ): UsageRow | null {
      let perRoute = byAnswer.get(answer);
      const row = perRoute?.get(route);
      if (row !== undefined) {
        row.count++;
        row.total += latencyMs;
        if (latencyMs > row.max) row.max = latencyMs;
        row.last = now;
        note(row, now, latencyMs);
        return row;
      }
      const made = record({ keyId: answer.keyId as string, route, outcome: answer.code, latencyMs });
      if (!made) return null;
      if (!perRoute) {
        perRoute = new Map();
        byAnswer.set(answer, perRoute);
      }
      perRoute.set(route, made);
      return made;
    },
    note,
    flush,
    stats: () => ({ buffered: rows.size, dropped: droppedTotal, sentRows: sent }),
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type UsageReporter = ReturnType<typeof createUsageReporter>;
