import type { KeyEventData, KeyStreamHello } from '@latchkey/core';
import type { Api } from '../api.js';

export type KeyStreamHandlers = {
  hello(hello: KeyStreamHello): void;
  event(event: KeyEventData): void;
  reset(cacheAllowed: boolean): void;
  /** What the server's node cannot do now (`listen`); empty once it is healthy. */
  status(degraded: string[]): void;
  /** The stream dropped (or could not connect); `err` says why. */
  down(err: unknown): void;
};

export type KeyStreamOptions = {
  api: Api;
  path: string;
  handlers: KeyStreamHandlers;
  backoff?: { minMs: number; maxMs: number };
};

export function degradedOf(data: unknown): string[] {
  const list = (data as { degraded?: unknown } | null)?.degraded;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
}

// A frame of a kind this SDK does not know is skipped, not applied as an eviction.
function isKeyEvent(data: unknown): data is KeyEventData {
  return (
    typeof (data as KeyEventData | null)?.kind === 'string' && Array.isArray((data as KeyEventData).hashes)
  );
}

const DEFAULT_BACKOFF = { minMs: 200, maxMs: 10_000 };

/**
 * A server-sent events client for the key-change stream, written out because it is small: reads
 * `id`, `event` and `data` lines, reconnects with jittered exponential backoff and resumes with
 * Last-Event-ID. A stream silent for three heartbeats is treated as dead (a half-open TCP
 * connection reports nothing on its own).
 */
export function startKeyStream(opts: KeyStreamOptions): { close(): void } {
  const { api, handlers } = opts;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  let lastId: string | undefined;
  let wait = backoff.minMs;
  let closed = false;
  let controller: AbortController | undefined;
  let retry: NodeJS.Timeout | undefined;

  async function connectOnce(): Promise<void> {
    controller = new AbortController();
    const res = await api.open(opts.path, {
      method: 'GET',
      signal: controller.signal,
      headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
    });
    if (!res.ok || !res.body) {
      const body = await res.text().catch(() => '');
      throw new Error(`key event stream answered HTTP ${res.status}: ${body.slice(0, 300)}`);
    }
    let idleMs = 45_000;
    let idle = setTimeout(() => controller?.abort(), idleMs);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let event = 'message';
    let data = '';
    let id: string | undefined;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('key event stream ended');
        clearTimeout(idle);
        idle = setTimeout(() => controller?.abort(), idleMs);
        buffer += value;
        let nl = buffer.indexOf('\n');
        while (nl !== -1) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf('\n');
          if (line === '') {
            if (data) {
              const parsed = JSON.parse(data) as unknown;
              if (event === 'hello') {
                const hello = parsed as KeyStreamHello;
                idleMs = Math.max(1000, hello.heartbeatMs * 3);
                wait = backoff.minMs;
                handlers.hello(hello);
              } else if (event === 'reset') handlers.reset(Boolean((parsed as { cache?: boolean }).cache));
              else if (event === 'status') handlers.status(degradedOf(parsed));
              else if (isKeyEvent(parsed)) handlers.event(parsed);
              // The cursor moves only once the event was applied.
              if (id !== undefined) lastId = id;
            }
            event = 'message';
            data = '';
            id = undefined;
          } else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          else if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('id:')) id = line.slice(3).trim();
          // `:` comments (heartbeats) and `retry:` only prove the connection is alive.
        }
      }
    } finally {
      clearTimeout(idle);
      reader.cancel().catch(() => {});
    }
  }

  function loop() {
    if (closed) return;
    connectOnce().then(
      () => {},
      (err) => {
        if (closed) return;
        handlers.down(err);
        // Full jitter: many app replicas must not reconnect in lockstep after a server restart.
        const delay = Math.round(wait / 2 + (Math.random() * wait) / 2);
        wait = Math.min(wait * 2, backoff.maxMs);
        retry = setTimeout(loop, delay);
        retry.unref();
      },
    );
  }

  loop();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      controller?.abort();
    },
  };
}
