import type { FetchLike } from './api.js';

/**
 * Several Latchkey servers behind one base URL. Requests are built against the first server's
 * base and sent to the current one; when a server cannot be reached at all (the fetch throws:
 * refused, reset, DNS), the next one is tried at once, and it stays current until it fails in
 * turn. An HTTP answer, even a 5xx, is an answer: nodes share one database, so another node
 * would say the same. The caller's own abort (or its timeout running out) stops the round.
 */
export type Failover = {
  /** The base every URL is built on (the first server). */
  readonly base: string;
  /** Where requests go now. */
  readonly current: string;
  readonly servers: readonly string[];
  fetch: FetchLike;
  /** Moves on to the next server (the push stream's node went away without an error). */
  next(): void;
};

/** `servers`, or a comma-separated `apiUrl`; one URL keeps working as before. */
export function serverList(apiUrl: string, servers?: readonly string[]): string[] {
  const list = (servers && servers.length > 0 ? servers : apiUrl.split(','))
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter((s) => s.length > 0);
  if (list.length === 0)
    throw new TypeError('createVerifier needs apiUrl or servers: the Latchkey server URL(s).');
  return [...new Set(list)];
}

export function createFailover(servers: readonly string[], inner: FetchLike): Failover {
  const base = servers[0] as string;
  let index = 0;
  const current = () => servers[index] as string;
  return {
    base,
    servers,
    get current() {
      return current();
    },
    next() {
      index = (index + 1) % servers.length;
    },
    async fetch(input, init) {
      const path = input.startsWith(base) ? input.slice(base.length) : null;
      if (path === null) return inner(input, init);
      let lastErr: unknown;
      for (let tried = 0; tried < servers.length; tried++) {
        const at = index;
        try {
          return await inner(servers[at] + path, init);
        } catch (err) {
          lastErr = err;
          if (init?.signal?.aborted) throw err;
          // Another request may already have moved on: move only from the server that failed.
          if (index === at) index = (at + 1) % servers.length;
        }
      }
      throw lastErr;
    },
  };
}
