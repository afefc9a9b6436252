import type { KeyEventData, KeyEventKind } from '@latchkey/core';
import type pg from 'pg';
import {
  type BusEvent,
  busEventOf,
  type EventBus,
  keyEventsHead,
  readKeyEventsAfter,
} from '../../store/notify.js';
import { type Actor, requirePermission } from '../actor.js';

export type KeyEvent = KeyEventData & { id: string; environmentId: string };

/** One connected SDK stream: what the route writes to. */
export type KeyEventSink = {
  event(event: KeyEvent): void;
  /** Events were lost for good (see BusSubscriber.reset): the SDK drops its cache and carries on. */
  reset(): void;
  /**
   * What this node cannot do right now (`listen`: its listener lost the database, so changes
   * arrive late, after the reconnect's catch-up); empty when all is well again.
   */
  status(degraded: string[]): void;
};

export type OpenedStream = {
  /** Events after the client's Last-Event-ID, or null when they cannot be replayed. */
  replay: KeyEvent[] | null;
  /** The shared log's position now, sent as the hello event's id so a client always has a cursor. */
  cursor: string;
  degraded: string[];
  close(): void;
};

type Deps = {
  bus?: EventBus | undefined;
  pool: Pick<pg.Pool, 'query'>;
  projects: { resolve(actor: Actor, ref: string): Promise<{ id: string; name: string }> };
  environments: {
    resolve(actor: Actor, projectId: string, ref: string): Promise<{ id: string; name: string }>;
  };
};

const CHANGES: Record<string, KeyEventKind> = {
  revoked: 'revoked',
  rotated: 'rotated',
  deleted: 'deleted',
  updated: 'updated',
};

function toKeyEvent(e: BusEvent): KeyEvent | null {
  if (typeof e.environmentId !== 'string' || typeof e.id !== 'number') return null;
  if (e.kind === 'sdk.key' && Array.isArray(e.hashes)) {
    const hashes = (e.hashes as unknown[]).filter((h): h is string => typeof h === 'string');
    return {
      id: String(e.id),
      environmentId: e.environmentId,
      kind: CHANGES[String(e.change)] ?? 'updated',
      hashes,
    };
  }
  if (e.kind === 'manifest.changed')
    return { id: String(e.id), environmentId: e.environmentId, kind: 'manifest', hashes: [] };
  return null;
}

/**
 * Pushes key revocations, rotations and deletions (and manifest changes) to connected SDKs, one
 * environment per stream. Fed by the LISTEN/NOTIFY bus, so a change made on any node reaches the
 * streams of every node. Event ids are positions in the key-event log every node shares
 * (migration 0024): an SDK resumes on any node, after that node died or its listener dropped,
 * and the node replays from the log. Only a position the log no longer reaches (older than a
 * day) or a malformed one is refused, and then the SDK drops its cache instead of trusting a hole.
 */
export function createKeyEventsService(deps: Deps) {
  const sinks = new Map<string, Set<KeyEventSink>>();

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

  const degraded = (): string[] => (deps.bus === undefined || deps.bus.connected ? [] : ['listen']);

  deps.bus?.subscribe({
    event(e) {
      const event = toKeyEvent(e);
      if (event) each(event.environmentId, (s) => s.event(event));
    },
    status: () => {
      const now = degraded();
      each(null, (s) => s.status(now));
    },
    reset: () => each(null, (s) => s.reset()),
  });

  /** Events after `lastId` for one environment; null when the gap cannot be bridged. */
  async function replayAfter(environmentId: string, lastId: string | undefined): Promise<KeyEvent[] | null> {
    if (!lastId || !/^\d{1,18}$/.test(lastId)) return null;
    const rows = await readKeyEventsAfter(deps.pool, Number(lastId), environmentId);
    if (rows === null) return null;
    return rows.map((row) => toKeyEvent(busEventOf(row))).filter((e): e is KeyEvent => e !== null);
  }

  return {
    /**
     * Opens a stream for `projectRef`/`environmentRef` in the actor's org: permission first,
     * then the same 404s as every other project route. The sink starts receiving before the log
     * is read, so no event falls between the replay and the live stream (some may come twice;
     * an eviction is idempotent).
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
      let group = sinks.get(env.id);
      if (!group) {
        group = new Set();
        sinks.set(env.id, group);
      }
      group.add(sink);
      const close = () => {
        group.delete(sink);
        if (group.size === 0 && sinks.get(env.id) === group) sinks.delete(env.id);
      };
      try {
        const cursor = await keyEventsHead(deps.pool);
        const replay = await replayAfter(env.id, lastId);
        return { replay, cursor: String(cursor), degraded: degraded(), environment: env.name, close };
      } catch (err) {
        close();
        throw err;
      }
    },

    streamCount(): number {
      let n = 0;
      for (const group of sinks.values()) n += group.size;
      return n;
    },
  };
}

export type KeyEventsService = ReturnType<typeof createKeyEventsService>;
