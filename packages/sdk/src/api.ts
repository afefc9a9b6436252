import { AppError, ErrorCodes, isErrorBody } from '@latchkey/core';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export type ApiOptions = {
  apiUrl: string;
  token: string;
  fetch?: FetchLike | undefined;
  /** Per request; a hung server must not hold an app request forever. */
  timeoutMs?: number | undefined;
};

export type Api = {
  readonly base: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** The raw response, for streams. */
  open(path: string, init: RequestInit): Promise<Response>;
};

const KNOWN = new Set<string>(ErrorCodes);

/** True when the error says "the server could not be reached", not "the server said no". */
export function isUnavailable(err: unknown): boolean {
  return (
    err instanceof AppError && (err.code === 'SERVICE_UNAVAILABLE' || err.code === 'DATABASE_UNAVAILABLE')
  );
}

function unavailable(apiUrl: string, cause: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `The Latchkey server at ${apiUrl} is unreachable.`, {
    hint: 'Check apiUrl and that the server is running; cached answers keep serving for offlineGrace.',
    cause,
  });
}

/**
 * The few calls the SDK makes to `/api/v1`. Errors come back as the server's own AppError codes;
 * network failures, timeouts and 5xx answers as SERVICE_UNAVAILABLE. The token goes into the
 * Authorization header only, never into a message.
 */
export function createApi(opts: ApiOptions): Api {
  const base = opts.apiUrl.replace(/\/+$/, '');
  const doFetch: FetchLike = opts.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const auth = `Bearer ${opts.token}`;

  async function open(path: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(base + path, {
        ...init,
        headers: { authorization: auth, ...(init.headers ?? {}) },
      });
    } catch (err) {
      if ((err as Error)?.name === 'AbortError' && init.signal?.aborted && !timedOut(init.signal)) throw err;
      throw unavailable(base, err);
    }
  }

  return {
    base,
    open,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await open(path, {
        method,
        signal: AbortSignal.timeout(timeoutMs),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      let data: unknown = null;
      try {
        data = await res.json();
      } catch (err) {
        if (res.ok || res.status >= 500) throw unavailable(base, err);
      }
      if (res.ok) return data as T;
      if (res.status >= 500) throw unavailable(base, new Error(`HTTP ${res.status}`));
      if (isErrorBody(data) && KNOWN.has(data.error.code)) {
        const retry = Number(res.headers.get('retry-after'));
        throw new AppError(data.error.code, data.error.message, {
          ...(data.error.hint ? { hint: data.error.hint } : {}),
          ...(data.error.details === undefined ? {} : { details: data.error.details }),
          ...(Number.isFinite(retry) && retry > 0 ? { retryAfterSeconds: retry } : {}),
        });
      }
      throw new AppError('INTERNAL', `The Latchkey server answered HTTP ${res.status}.`);
    },
  };
}

function timedOut(signal: AbortSignal): boolean {
  return (signal.reason as Error | undefined)?.name === 'TimeoutError';
}
