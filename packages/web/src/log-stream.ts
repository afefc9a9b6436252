import { createParser } from 'eventsource-parser';
import {
  ApiError,
  type ErrorCode,
  ErrorCodes,
  isErrorBody,
  type LogEvent,
} from '../../core/src/contract/index.js';
import { csrfToken } from './api.js';

/** What the page shows of a stream: opening, receiving, lost and trying again, or refused. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export type FollowOptions = {
  /** The stream's URL with its filters (`api.url(endpoints.logs.stream, …)`). */
  url: string;
  /** Resume after this event id (sent as Last-Event-ID): nothing lost, nothing twice. */
  after?: string | undefined;
  /** Backlog events older than this (ISO) are dropped: they are before the window asked for. */
  notBefore?: string | undefined;
  /** `live` is false for the backlog sent first (from before the stream opened). */
  onEvents(events: LogEvent[], live: boolean): void;
  /** Every id the stream hands out (events and its "hello" position): where to resume. */
  onPosition(id: string): void;
  onState(state: StreamState, error?: ApiError): void;
};

// The server sends a comment every 15 s (routes/v1/sdk.ts HEARTBEAT_MS): silence for longer than
// this means the connection is dead even if TCP has not said so (a laptop's sleep, a proxy).
const SILENCE_MS = 40_000;
const MAX_DELAY_MS = 5_000;

/** The API's error answer as the typed client would throw it: code, message, hint. */
async function errorOf(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (isErrorBody(body)) {
    // A code this dashboard does not know (a newer server) is still an error, as in the client.
    const known = (ErrorCodes as readonly string[]).includes(body.error.code);
    return new ApiError(known ? (body.error.code as ErrorCode) : 'INTERNAL', body.error.message, {
      httpStatus: res.status,
      ...(body.error.hint ? { hint: body.error.hint } : {}),
      ...(body.error.requestId ? { requestId: body.error.requestId } : {}),
    });
  }
  return new ApiError(
    res.status >= 500 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL',
    `The server answered ${res.status}.`,
    {
      httpStatus: res.status,
    },
  );
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Follows an environment's log stream until the returned function is called. Not EventSource:
 * it cannot send the session's X-Latch-CSRF header, which the API requires of a cookie session.
 * So this is fetch with a streamed body and eventsource-parser, reconnecting after a drop (the
 * server gone, a restart, a dead connection) with Last-Event-ID, so no event is lost or repeated.
 * A refusal (4xx: permission, not found) ends it with the API's error; a 5xx is retried.
 */
export function followLog(given: FollowOptions): () => void {
  const stopped = new AbortController();
  // Nothing reaches the page once stopped: a stream of old filters must not overwrite the new one's.
  const opts: FollowOptions = {
    ...given,
    onEvents: (events, live) => stopped.signal.aborted || given.onEvents(events, live),
    onPosition: (id) => stopped.signal.aborted || given.onPosition(id),
    onState: (state, error) => stopped.signal.aborted || given.onState(state, error),
  };
  let lastId = opts.after;
  let retryMs = 1000;
  void (async () => {
    let failures = 0;
    let backlog = opts.after === undefined;
    while (!stopped.signal.aborted) {
      opts.onState(failures === 0 ? 'connecting' : 'reconnecting');
      // One connection: aborted on stop, or when it falls silent.
      const conn = new AbortController();
      const onStop = () => conn.abort();
      stopped.signal.addEventListener('abort', onStop);
      let silence: ReturnType<typeof setTimeout> | undefined;
      const heard = () => {
        clearTimeout(silence);
        silence = setTimeout(() => conn.abort(), SILENCE_MS);
      };
      try {
        const res = await fetch(opts.url, {
          headers: {
            accept: 'text/event-stream',
            'x-latch-csrf': csrfToken(),
            ...(lastId ? { 'last-event-id': lastId } : {}),
          },
          credentials: 'same-origin',
          cache: 'no-store',
          signal: conn.signal,
        });
        if (res.status === 401) {
          // The session ended: sign in again, as every other call of the dashboard does.
          window.location.assign('/login?next=%2F');
          return;
        }
        if (res.status !== 200 || !res.body) {
          const error = await errorOf(res);
          if (res.status < 500) {
            opts.onState('refused', error);
            return;
          }
          throw error;
        }
        failures = 0;
        opts.onState('live');
        heard();
        let batch: LogEvent[] = [];
        const parser = createParser({
          onEvent(message) {
            if (message.id) {
              lastId = message.id;
              opts.onPosition(message.id);
            }
            if (message.event === 'hello') backlog = false;
            if (message.event !== 'log') return;
            const e = JSON.parse(message.data) as LogEvent;
            if (backlog && opts.notBefore && e.at < opts.notBefore) return;
            batch.push(e);
          },
          onRetry(ms) {
            retryMs = ms;
          },
        });
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          heard();
          parser.feed(decoder.decode(value, { stream: true }));
          if (batch.length > 0) {
            opts.onEvents(batch, !backlog);
            batch = [];
          }
        }
      } catch {
        // A dropped connection or a 5xx: tried again below.
      } finally {
        clearTimeout(silence);
        stopped.signal.removeEventListener('abort', onStop);
      }
      if (stopped.signal.aborted) return;
      failures++;
      opts.onState('reconnecting');
      await sleep(Math.min(MAX_DELAY_MS, retryMs * 2 ** Math.min(failures - 1, 4)), stopped.signal);
    }
  })();
  return () => stopped.abort();
}
