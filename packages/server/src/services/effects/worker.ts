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
  // Longer than any attempt, so a live node never loses a lease it is still using.
  const leaseMs = timeoutMs + 5_000;
  const pollMs = o.pollMs ?? 1_000;
  const random = o.random ?? Math.random;
  const agents = deliveryAgents(concurrency);
  const inFlight = new Set<Promise<void>>();
  // Attempts answered and not yet written (their batch is on its way to the database).
  const recordings = new Set<Promise<void>>();
  const settled = async () => {
    await Promise.allSettled([...inFlight]);
    await Promise.allSettled([...recordings]);
  };
  let running = false;
  let looping: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let again = false;
  let unsubscribe: (() => void) | undefined;
  let observe = o.observe;

  const wake = () => {
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
   * Claims what is due and starts it; resolves once the claimed batch has started. A slot is free
   * once its answer is in, while its attempt is still being written (the lease is held until
   * then, so no node takes the effect again); claimed but unwritten attempts stay under twice the
   * concurrency, so a slow database slows the claims too.
   */
  async function fill(): Promise<number> {
    const free = concurrency - inFlight.size - Math.max(0, recordings.size - concurrency);
    if (free <= 0) return 0;
    const now = o.clock.now();
    const claimed = await queue.claim(o.pool, node, now, new Date(now.getTime() + leaseMs), free);
    if (claimed.length === 0) return 0;
    const endpointIds = [...new Set(claimed.map((e) => e.endpoint_id).filter((id): id is string => !!id))];
    const endpoints = await queue.endpointSecrets(o.pool, endpointIds);
    for (const e of claimed) {
      const failed = (err: unknown) => o.log?.error({ err, effect: e.id }, 'effect attempt failed to record');
      const p: Promise<void> = attempt(e, e.endpoint_id ? endpoints.get(e.endpoint_id) : undefined)
        .then(({ recorded }) => {
          const r: Promise<void> = recorded.catch(failed).finally(() => {
            recordings.delete(r);
            wake();
          });
          recordings.add(r);
        }, failed)
        .finally(() => {
          inFlight.delete(p);
          wake();
        });
      inFlight.add(p);
    }
    return claimed.length;
  }

  async function loop(): Promise<void> {
    let lastReclaim = 0;
    while (running) {
      again = false;
      try {
        if (Date.now() - lastReclaim >= pollMs) {
          lastReclaim = Date.now();
          await queue.reclaimExpired(o.pool, o.clock.now());
        }
        const started = await fill();
        if (started > 0 && inFlight.size < concurrency) continue;
      } catch (err) {
        o.log?.error({ err }, 'effects worker: claim failed');
      }
      if (!running) break;
      if (again) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
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
      unsubscribe = o.bus?.subscribe({
        event: (ev) => {
          if (ev.kind === queue.WAKE_EVENT) wake();
        },
        // Back after an outage: anything enqueued meanwhile was not announced to this node.
        status(up) {
          if (up) wake();
        },
        reset: () => wake(),
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
      // Idle keep-alive connections would hold the process open after a clean stop.
      agents.http.destroy();
      agents.https.destroy();
    },

    /** Tests: claims and attempts everything due now (by the injected clock), until nothing is. */
    async drain(): Promise<number> {
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
