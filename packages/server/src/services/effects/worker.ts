import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../store/notify.js';
import { openUnderMasterKey } from '../secrets/crypto.js';
import { DELIVERY_TIMEOUT_MS, type DeliveryResult, deliver, deliveryAgents } from './deliver.js';
import * as queue from './queue.js';
import { DISABLE_AFTER_MS, delayAfter, parseRetryAfter, withJitter } from './schedule.js';
import { signatureHeaders } from './signing.js';
import type { TargetPolicy } from './target.js';

export const SECRET_LABEL = 'webhook-secret/v1';
/** At most this many attempts are recorded in one statement. */
const MAX_BATCH = 256;
/** The longest a freed slot waits for others before it is filled alone. */
const COALESCE_MS = 5;
/** The longest a claimed effect waits for a free slot before it is given back. */
const MAX_READY_MS = 3_000;

export type WorkerOptions = {
  pool: pg.Pool;
  clock: Clock;
  bus?: EventBus | undefined;
  masterKey: Buffer | null;
  policy: TargetPolicy;
  /** Attempts in flight at once on this node. */
  concurrency?: number;
  timeoutMs?: number;
  /** How often due retries are looked for when nothing wakes the worker. */
  pollMs?: number;
  random?: () => number;
  /** Called for an endpoint that has failed every attempt for 5 days (in its own transaction). */
  onEndpointFailing?: (endpointId: string, since: Date) => Promise<void>;
  observe?: (a: {
    outcome: 'delivered' | 'failed' | 'dead';
    latencyMs: number;
    sinceEnqueueMs: number;
  }) => void;
  log?: { error(obj: object, msg: string): void };
};

export type Worker = ReturnType<typeof createWorker>;

/**
 * The delivery loop of one node. Claims due effects (SKIP LOCKED: nodes never take the same one),
 * holds each under a lease longer than an attempt can take, and records every attempt (those that
 * finish together in one statement). Wakes on a NOTIFY from an enqueue (delivery starts within
 * milliseconds) and polls for due retries.
 */
export function createWorker(o: WorkerOptions) {
  const node = `node_${randomBytes(6).toString('hex')}`;
  const concurrency = o.concurrency ?? 32;
  const timeoutMs = o.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  // Effects are claimed up to one window ahead of the attempts in flight (claimed while slots are
  // still busy, a claim's round trip does not leave them idle). One starts within MAX_READY_MS of
  // its claim or is given back (slots held by slow receivers: another node may take it), and its
  // attempt ends within the timeout: the lease covers both and 5 s to record it, so a live node
  // never loses a lease it is still using (and a dead node's leases end 3 s later than before).
  const ahead = concurrency;
  const leaseMs = MAX_READY_MS + timeoutMs + 5_000;
  const pollMs = o.pollMs ?? 1_000;
  const random = o.random ?? Math.random;
  const agents = deliveryAgents(concurrency);
  const inFlight = new Set<Promise<void>>();
  // Claimed, waiting for a slot.
  let ready: { e: queue.ClaimedEffect; ep: queue.EndpointSecrets | undefined; claimedAt: number }[] = [];
  // Attempts answered and not yet written (their batch is on its way to the database).
  const recordings = new Set<Promise<void>>();
  // Until every claimed effect was attempted and written (or, stopping, those in flight).
  const settled = async () => {
    while (inFlight.size > 0 || recordings.size > 0 || (ready.length > 0 && !stopping)) {
      startReady();
      await Promise.allSettled([...inFlight, ...recordings]);
    }
  };
  let running = false;
  let stopping = false;
  let looping: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let again = false;
  // Whether anything may be due that this node has not claimed: set by an enqueue's NOTIFY, a
  // retry due at once, the poll and a full claim; cleared by a claim that came back short. A
  // freed slot alone does not call for a claim when the queue was found empty.
  let maybeDue = true;
  let unsubscribe: (() => void) | undefined;
  let observe = o.observe;

  const wake = (due = false) => {
    if (due) maybeDue = true;
    again = true;
    wakeUp?.();
  };

  // Finished attempts are written in batches: whatever finished while the previous batch was being
  // written goes in the next (one round trip for all of them, none waits for a timer).
  type Queued = {
    attempt: queue.AttemptRecord;
    outcome: queue.AttemptOutcome;
    done: (r: queue.Finished) => void;
    fail: (err: unknown) => void;
  };
  let toRecord: Queued[] = [];
  let recording = false;

  function record(attempt: queue.AttemptRecord, outcome: queue.AttemptOutcome): Promise<queue.Finished> {
    return new Promise((done, fail) => {
      toRecord.push({ attempt, outcome, done, fail });
      if (!recording) {
        recording = true;
        void flush();
      }
    });
  }

  async function flush(): Promise<void> {
    while (toRecord.length > 0) {
      const batch = toRecord.slice(0, MAX_BATCH);
      toRecord = toRecord.slice(MAX_BATCH);
      try {
        const results = await queue.finishBatch(o.pool, node, batch);
        for (const [i, q] of batch.entries()) q.done(results[i]);
      } catch (err) {
        // One attempt the database refuses must not take the others with it: each alone.
        if (batch.length === 1) batch[0]!.fail(err);
        else
          for (const q of batch) {
            await queue.finishBatch(o.pool, node, [q]).then(([r]) => q.done(r), q.fail);
          }
      }
    }
    recording = false;
  }

  // A sealed secret is opened once per claim that read it, not per attempt: keyed by the buffer
  // that claim's read returned, so a rotation (read by the next claim) is never served stale.
  const opened = new WeakMap<Buffer, string>();
  function secretsOf(ep: queue.EndpointSecrets, now: Date): string[] {
    if (!o.masterKey) throw new Error('no master key: webhook secrets cannot be opened');
    const open = (blob: Buffer) => {
      const cached = opened.get(blob);
      if (cached !== undefined) return cached;
      const s = openUnderMasterKey(o.masterKey as Buffer, blob, SECRET_LABEL, ep.id);
      if (!s) throw new Error('the endpoint secret does not open with this master key');
      opened.set(blob, s);
      return s;
    };
    const list = [open(ep.secret_enc)];
    if (ep.previous_secret_enc && ep.previous_expires_at && ep.previous_expires_at > now) {
      list.push(open(ep.previous_secret_enc));
    }
    return list;
  }

  /**
   * One attempt; resolves when its answer is in (its slot is free again) with `recorded`, which
   * settles once the attempt is written, in a batch with others.
   */
  async function attempt(
    e: queue.ClaimedEffect,
    ep: queue.EndpointSecrets | undefined,
  ): Promise<{ recorded: Promise<void> }> {
    const startedAt = o.clock.now();
    let result: DeliveryResult;
    if (e.kind === 'webhook' && !ep?.enabled) {
      result = {
        ok: false,
        status: null,
        latencyMs: 0,
        error: 'endpoint disabled or deleted',
        snippet: null,
        retryAfter: undefined,
      };
    } else {
      let headers: Record<string, string> = { ...e.headers };
      try {
        if (ep)
          headers = {
            ...headers,
            ...signatureHeaders(
              secretsOf(ep, startedAt),
              e.message_id,
              Math.floor(Date.now() / 1000),
              e.payload,
            ),
          };
        else headers['idempotency-key'] = e.message_id;
        result = await deliver({ url: e.url, headers, body: e.payload }, o.policy, timeoutMs, agents);
      } catch (err) {
        result = {
          ok: false,
          status: null,
          latencyMs: 0,
          error: (err as Error).message,
          snippet: null,
          retryAfter: undefined,
        };
      }
    }
    const now = o.clock.now();
    const stop = e.kind === 'webhook' && !ep?.enabled;
    let state: 'delivered' | 'retrying' | 'dead' = 'delivered';
    let nextAt: Date | null = null;
    if (!result.ok) {
      const delay = stop ? null : delayAfter(e.schedule, e.attempts);
      if (delay === null) state = 'dead';
      else {
        state = 'retrying';
        const asked = parseRetryAfter(result.retryAfter, now) ?? 0;
        nextAt = new Date(now.getTime() + Math.max(withJitter(delay, random), asked) * 1000);
      }
    }
    const recorded = record(
      {
        effectId: e.id,
        attempt: e.attempts,
        node,
        startedAt,
        latencyMs: result.latencyMs,
        status: result.status,
        error: result.error,
        snippet: result.snippet,
      },
      { state, nextAt, endpointId: e.endpoint_id, now },
    ).then(async (finished) => {
      // An immediate retry is due as soon as it is written: nothing else would announce it.
      if (nextAt && nextAt <= now) maybeDue = true;
      observe?.({
        outcome: state === 'delivered' ? 'delivered' : state === 'dead' ? 'dead' : 'failed',
        latencyMs: result.latencyMs,
        sinceEnqueueMs: Date.now() - e.created_at.getTime(),
      });
      const since = finished?.failingSince;
      if (!result.ok && since && ep?.enabled && now.getTime() - since.getTime() >= DISABLE_AFTER_MS) {
        await o.onEndpointFailing?.(ep.id, since);
      }
    });
    return { recorded };
  }

  /**
   * A slot is free once its answer is in, while its attempt is still being written (the lease is
   * held until then, so no node takes the effect again); claimed but unwritten attempts stay
   * under twice the concurrency, so a slow database slows the attempts and claims too.
   */
  const backlog = () => Math.max(0, recordings.size - concurrency);
  const freeSlots = () => concurrency - inFlight.size - backlog();
  /** How many more this node may claim: its slots and one window ahead. */
  const room = () => concurrency + ahead - inFlight.size - ready.length - backlog();

  /** Claims what is due (up to `room`) and starts what there are slots for. */
  async function fill(): Promise<number> {
    const want = room();
    if (want <= 0) return 0;
    const now = o.clock.now();
    // Before the claim: its lease runs from then.
    const claimedAt = performance.now();
    const claimed = await queue.claim(o.pool, node, now, new Date(now.getTime() + leaseMs), want);
    if (claimed.length === 0) return 0;
    const endpointIds = [...new Set(claimed.map((e) => e.endpoint_id).filter((id): id is string => !!id))];
    const endpoints = await queue.endpointSecrets(o.pool, endpointIds);
    for (const e of claimed) {
      ready.push({ e, ep: e.endpoint_id ? endpoints.get(e.endpoint_id) : undefined, claimedAt });
    }
    startReady();
    return claimed.length;
  }

  function startReady(): void {
    const stale: string[] = [];
    while (!stopping && ready.length > 0 && freeSlots() > 0) {
      const { e, ep, claimedAt } = ready.shift()!;
      if (performance.now() - claimedAt > MAX_READY_MS) {
        stale.push(e.id);
        continue;
      }
      const failed = (err: unknown) => o.log?.error({ err, effect: e.id }, 'effect attempt failed to record');
      const p: Promise<void> = attempt(e, ep)
        .then(({ recorded }) => {
          const r: Promise<void> = recorded.catch(failed).finally(() => {
            recordings.delete(r);
            startReady();
            wake();
          });
          recordings.add(r);
        }, failed)
        .finally(() => {
          inFlight.delete(p);
          startReady();
          wake();
        });
      inFlight.add(p);
    }
    if (stale.length > 0) {
      queue.returnLeases(o.pool, node, o.clock.now(), stale).then(
        () => wake(true),
        (err) => o.log?.error({ err }, 'effects worker: returning stale claims failed'),
      );
    }
  }

  // Claims are coalesced: a claim costs the database about as much for one row as for a window's
  // worth, so room is gathered until it is half a window (or nothing is in flight, or a slot has
  // had nothing to start for COALESCE_MS), rather than one claim per answer.
  const claimAt = Math.max(1, Math.floor(concurrency / 2));
  let freedAt: number | null = null;

  async function loop(): Promise<void> {
    let lastReclaim = 0;
    while (running) {
      again = false;
      let wait = pollMs;
      try {
        if (Date.now() - lastReclaim >= pollMs) {
          lastReclaim = Date.now();
          if ((await queue.reclaimExpired(o.pool, o.clock.now())) > 0) maybeDue = true;
        }
        const free = room();
        if (free > 0 && maybeDue) {
          // Only a slot with nothing claimed to start in it waits on the clock; while claimed
          // effects are ready, the claim waits for half a window of room, however long that takes.
          const idle = ready.length === 0 && freeSlots() > 0;
          if (idle) freedAt ??= performance.now();
          else freedAt = null;
          const waited = freedAt === null ? 0 : performance.now() - freedAt;
          if (free >= claimAt || (idle && (inFlight.size === 0 || waited >= COALESCE_MS))) {
            freedAt = null;
            // Cleared before the claim: whatever is announced while it runs is claimed next.
            maybeDue = false;
            const started = await fill();
            // A full claim means more may be due; a short one emptied what was due (until the
            // next enqueue, retry or poll says otherwise).
            if (started === free) maybeDue = true;
            if (started > 0 && room() >= claimAt) continue;
          } else if (idle) wait = COALESCE_MS - waited;
        }
      } catch (err) {
        maybeDue = true;
        o.log?.error({ err }, 'effects worker: claim failed');
      }
      if (!running) break;
      if (again) continue;
      await new Promise<void>((resolve) => {
        const polling = wait === pollMs;
        const timer = setTimeout(() => {
          // The poll: due retries and leases returned by other nodes announce themselves to nobody.
          if (polling) maybeDue = true;
          resolve();
        }, wait);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
      // The attempts of one recorded batch free their slots together: let them all, then claim once.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  return {
    node,
    /** Starts the loop; enqueues on any node wake it through the bus. */
    start(): void {
      if (running) return;
      running = true;
      stopping = false;
      unsubscribe = o.bus?.subscribe({
        event: (ev) => {
          if (ev.kind === queue.WAKE_EVENT) wake(true);
        },
        // Back after an outage: anything enqueued meanwhile was not announced to this node.
        status(up) {
          if (up) wake(true);
        },
        reset: () => wake(true),
      });
      looping = loop();
    },

    /**
     * Stops claiming, lets attempts in flight finish and be written (up to `graceMs`), then
     * returns whatever is still unfinished to the queue for another node or the next start.
     */
    async stop(graceMs = timeoutMs): Promise<void> {
      if (!running) return;
      running = false;
      // Nothing claimed and not yet started is started now: it goes back with the leases below.
      stopping = true;
      unsubscribe?.();
      wakeUp?.();
      await looping;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        settled(),
        new Promise<void>((r) => {
          timer = setTimeout(r, graceMs);
        }),
      ]);
      clearTimeout(timer);
      await queue.returnLeases(o.pool, node, o.clock.now());
      ready = [];
      // Idle keep-alive connections would hold the process open after a clean stop.
      agents.http.destroy();
      agents.https.destroy();
    },

    /** Tests: claims and attempts everything due now (by the injected clock), until nothing is. */
    async drain(): Promise<number> {
      if (!running) stopping = false;
      let total = 0;
      for (;;) {
        const n = await fill();
        await settled();
        if (n === 0) return total;
        total += n;
      }
    },

    inFlight: () => inFlight.size,
    /** Metrics: told of every attempt. */
    onAttempt(fn: NonNullable<WorkerOptions['observe']>): void {
      observe = fn;
    },
  };
}
