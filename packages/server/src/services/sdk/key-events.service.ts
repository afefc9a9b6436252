import { randomBytes } from 'node:crypto';
import type { KeyEventData, KeyEventKind } from '@latchkey/core';
import type { BusEvent, EventBus } from '../../store/notify.js';
import { type Actor, requirePermission } from '../actor.js';

/** Enough for minutes of heavy key churn; a client that fell further behind starts over. */
export const DEFAULT_RING_SIZE = 10_000;

export type KeyEvent = KeyEventData & { id: string; environmentId: string };

/** One connected SDK stream: what the route writes to. */
export type KeyEventSink = {
  event(event: KeyEvent): void;
  /** Events may have been lost (this node's listener dropped or came back): drop all caches. */
  reset(cacheAllowed: boolean): void;
};

export type OpenedStream = {
  /** Events after the client's Last-Event-ID, or null when they cannot be replayed. */
  replay: KeyEvent[] | null;
  /** The stream's position now, sent as the hello event's id so a client always has a cursor. */
  cursor: string;
  cacheAllowed: boolean;
  close(): void;
};

type Deps = {
  bus?: EventBus | undefined;
  projects: { resolve(actor: Actor, ref: string): Promise<{ id: string; name: string }> };
  environments: {
    resolve(actor: Actor, projectId: string, ref: string): Promise<{ id: string; name: string }>;
  };
  ringSize?: number;
};

const CHANGES: Record<string, KeyEventKind> = {
  revoked: 'revoked',
  rotated: 'rotated',
  deleted: 'deleted',
  updated: 'updated',
};

/**
 * Pushes key revocations, rotations and deletions (and manifest changes) to connected SDKs, one
 * environment per stream. Fed by the LISTEN/NOTIFY bus, so a change made on any node reaches the
 * streams of every node. Ids are `<epoch>-<seq>`: the epoch changes whenever this node may have
 * missed events (process start, listener reconnect), so a resume across that gap, or against
 * another node, is refused and the SDK drops its cache instead of trusting a hole.
 */
export function createKeyEventsService(deps: Deps) {
  const size = deps.ringSize ?? DEFAULT_RING_SIZE;
  const ring: (KeyEvent | undefined)[] = new Array(size);
  let epoch = newEpoch();
  let seq = 0;
  const sinks = new Map<string, Set<KeyEventSink>>();

  function newEpoch(): string {
    return randomBytes(6).toString('hex');
  }

  function each(environmentId: string | null, fn: (s: KeyEventSink) => void) {
    const groups = environmentId === null ? [...sinks.values()] : [sinks.get(environmentId)];
    for (const group of groups) {
      for (const sink of group ?? []) {
        try {
          fn(sink);
        } catch {
          // A broken socket is cleaned up by its own close handler.
        }
      }
    }
  }

  function push(environmentId: string, kind: KeyEventKind, hashes: string[]) {
    seq += 1;
    const event: KeyEvent = { id: `${epoch}-${seq}`, environmentId, kind, hashes };
    ring[seq % size] = event;
    each(environmentId, (s) => s.event(event));
  }

  function onBusEvent(e: BusEvent) {
    if (e.kind === 'sdk.key' && typeof e.environmentId === 'string' && Array.isArray(e.hashes)) {
      const kind = CHANGES[String(e.change)] ?? 'updated';
      push(
        e.environmentId,
        kind,
        (e.hashes as unknown[]).filter((h): h is string => typeof h === 'string'),
      );
    } else if (e.kind === 'manifest.changed' && typeof e.environmentId === 'string') {
      push(e.environmentId, 'manifest', []);
    }
  }

  deps.bus?.subscribe({
    event: onBusEvent,
    reset(connected) {
      epoch = newEpoch();
      ring.fill(undefined);
      each(null, (s) => s.reset(connected));
    },
  });

  const cacheAllowed = () => deps.bus?.connected ?? false;

  /** Events after `lastId` for one environment; null when the gap cannot be bridged. */
  function replayAfter(environmentId: string, lastId: string | undefined): KeyEvent[] | null {
    if (!lastId) return null;
    const m = /^([0-9a-f]+)-(\d+)$/.exec(lastId);
    if (!m || m[1] !== epoch) return null;
    const from = Number(m[2]);
    if (from > seq || seq - from >= size) return null;
    const out: KeyEvent[] = [];
    for (let s = from + 1; s <= seq; s++) {
      const event = ring[s % size];
      if (event?.environmentId === environmentId) out.push(event);
    }
    return out;
  }

  return {
    /**
     * Opens a stream for `projectRef`/`environmentRef` in the actor's org: permission first,
     * then the same 404s as every other project route. The sink starts receiving at once, and
     * `replay` holds what happened since `lastId` on this node.
     */
    async open(
      actor: Actor,
      projectRef: string,
      environmentRef: string,
      lastId: string | undefined,
      sink: KeyEventSink,
    ): Promise<OpenedStream & { environment: string }> {
      requirePermission(actor, 'api_keys:read');
      const project = await deps.projects.resolve(actor, projectRef);
      const env = await deps.environments.resolve(actor, project.id, environmentRef);
      // Registered and replayed in one synchronous step, so no event falls between the two.
      let group = sinks.get(env.id);
      if (!group) {
        group = new Set();
        sinks.set(env.id, group);
      }
      group.add(sink);
      const replay = replayAfter(env.id, lastId);
      return {
        replay,
        cursor: `${epoch}-${seq}`,
        cacheAllowed: cacheAllowed(),
        environment: env.name,
        close() {
          group.delete(sink);
          if (group.size === 0 && sinks.get(env.id) === group) sinks.delete(env.id);
        },
      };
    },

    streamCount(): number {
      let n = 0;
      for (const group of sinks.values()) n += group.size;
      return n;
    },
  };
}

export type KeyEventsService = ReturnType<typeof createKeyEventsService>;
