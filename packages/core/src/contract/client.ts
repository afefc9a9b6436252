import type { z } from 'zod';
import type { EndpointDef, EndpointErrorCode } from './endpoint.js';
import { AppError, type ErrorCode, ErrorCodes, isErrorBody } from './errors.js';

/**
 * The part of `fetch` the client uses, so the browser's and Node's `fetch` fit as they are, and
 * the CLI can pass its node:http transport (a first `fetch()` costs Node 20 ~85 ms of start-up).
 */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<FetchAnswer>;
export type FetchAnswer = {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
};

type Schema = z.ZodType;
type Part<K extends string, S> = S extends Schema
  ? object extends z.input<S>
    ? { [P in K]?: z.input<S> }
    : { [P in K]: z.input<S> }
  : { [P in K]?: undefined };

/** What a call sends: `params`, `query` and `body`, each typed by the endpoint's schema. */
export type CallInput<D extends EndpointDef> = Part<'params', D['params']> &
  Part<'query', D['query']> &
  Part<'body', D['body']>;

/** What a call answers with (any of the endpoint's success statuses). */
export type CallOutput<D extends EndpointDef> = {
  [S in keyof D['response']]: D['response'][S] extends Schema ? z.output<D['response'][S]> : never;
}[keyof D['response']];

/** A call's arguments: the input may be left out when every part of it is optional. */
export type CallArgs<D extends EndpointDef> =
  object extends CallInput<D> ? [input?: CallInput<D>] : [input: CallInput<D>];

/**
 * An error answer of the API (or the failure to get one), as the server's AppError: `code` is one
 * of the endpoint's codes, so `if (err.code === 'CONFLICT')` narrows. `httpStatus` is 0 when no
 * answer arrived.
 */
export class ApiError<C extends ErrorCode = ErrorCode> extends AppError {
  declare readonly code: C;
  readonly httpStatus: number;
  readonly requestId: string | undefined;

  constructor(
    code: C,
    message: string,
    opts: {
      httpStatus: number;
      hint?: string;
      requestId?: string;
      details?: unknown;
      retryAfterSeconds?: number;
      cause?: unknown;
    },
  ) {
    super(code, message, opts);
    this.name = 'ApiError';
    this.httpStatus = opts.httpStatus;
    this.requestId = opts.requestId;
  }
}

export type CallResult<D extends EndpointDef> =
  | { ok: true; data: CallOutput<D> }
  | { ok: false; error: ApiError<EndpointErrorCode<D>> };

export type ClientOptions = {
  /** The server's origin, e.g. `https://latch.example.com`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` to every endpoint but the public ones; never put in a message. */
  token?: string | undefined;
  fetch?: FetchLike;
  /** Per request (only with a fetch that honours `signal`). */
  timeoutMs?: number;
  /** Check every answer against the endpoint's response schema (tests, fakes). */
  validateResponses?: boolean;
  /** Thrown instead of sending a request that needs a credential when there is no token. */
  onMissingToken?: () => Error;
};

type Paged<T = unknown> = { items: T[]; nextCursor: string | null };
type Item<D extends EndpointDef> = CallOutput<D> extends Paged<infer T> ? T : never;

const KNOWN = new Set<string>(ErrorCodes);
/** The server's page maximum: lists are fetched in as few requests as it allows. */
const PAGE_LIMIT = 500;

/** The path with its `:params` filled in (encoded); an empty one would change the path's meaning. */
export function endpointPath(def: EndpointDef, params: Record<string, unknown> | undefined): string {
  return def.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null || String(value).trim() === '') {
      throw new ApiError('INVALID_INPUT', `\`${name}\` is required and was empty.`, {
        httpStatus: 0,
        hint: `Pass a ${name}.`,
      });
    }
    return encodeURIComponent(String(value));
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) qs.set(key, String(value));
  }
  const text = qs.toString();
  return text ? `?${text}` : '';
}

/**
 * The typed client of the whole `/api/v1`: every call is one entry of the contract table
 * (`client.call(apiKeys.create, { params, body })`), so paths and shapes are never written twice.
 * Runs wherever `fetch` does: Node, browsers, the CLI's own transport.
 */
export function createClient(opts: ClientOptions) {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch: FetchLike = opts.fetch ?? ((url, init) => fetch(url, init));

  function url<D extends EndpointDef>(def: D, input: CallInput<D> | undefined): string {
    const i = (input ?? {}) as { params?: Record<string, unknown>; query?: Record<string, unknown> };
    return `${base}${endpointPath(def, i.params)}${queryString(i.query)}`;
  }

  async function send<D extends EndpointDef>(
    def: D,
    input: CallInput<D> | undefined,
  ): Promise<CallOutput<D>> {
    if (!opts.token && def.permission !== 'public' && opts.onMissingToken) throw opts.onMissingToken();
    const target = url(def, input);
    const body = (input as { body?: unknown } | undefined)?.body;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token && def.permission !== 'public') headers.authorization = `Bearer ${opts.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: FetchAnswer;
    let text: string;
    try {
      res = await doFetch(target, {
        method: def.method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(opts.timeoutMs ? { signal: AbortSignal.timeout(opts.timeoutMs) } : {}),
      });
      text = await res.text();
    } catch (cause) {
      throw new ApiError('SERVICE_UNAVAILABLE', `Cannot reach the Latchkey server at ${base}.`, {
        httpStatus: 0,
        hint: 'Check the server URL and that the server is running.',
        cause,
      });
    }
    let data: unknown;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch (cause) {
      const code = res.status >= 500 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL';
      throw new ApiError(
        code,
        `The server at ${base} answered ${res.status} with something that is not JSON.`,
        {
          httpStatus: res.status,
          hint: 'Check that the URL points at a Latchkey server.',
          cause,
        },
      );
    }
    if (res.status >= 200 && res.status < 300) {
      if (opts.validateResponses) validateAnswer(def, res.status, data);
      return data as CallOutput<D>;
    }
    throw errorFrom(res, data);
  }

  function errorFrom(res: FetchAnswer, data: unknown): ApiError {
    const retry = Number(res.headers.get('retry-after'));
    const retryAfterSeconds = Number.isFinite(retry) && retry > 0 ? retry : undefined;
    if (isErrorBody(data)) {
      const e = data.error;
      // A code this client does not know (a newer server) is still an error, just not a narrower one.
      const code: ErrorCode = KNOWN.has(e.code) ? e.code : 'INTERNAL';
      return new ApiError(code, e.message, {
        httpStatus: res.status,
        ...(e.hint ? { hint: e.hint } : {}),
        ...(e.requestId ? { requestId: e.requestId } : {}),
        ...(e.details === undefined ? {} : { details: e.details }),
        ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
      });
    }
    const code: ErrorCode = res.status >= 500 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL';
    return new ApiError(code, `The server at ${base} answered ${res.status}.`, {
      httpStatus: res.status,
      hint: 'Check that the URL points at an up-to-date Latchkey server.',
    });
  }

  const client = {
    baseUrl: base,
    /** The full URL of a call, e.g. for a stream the caller opens itself. */
    url,
    /** One request; an error answer throws an `ApiError` with one of the endpoint's codes. */
    call<D extends EndpointDef>(def: D, ...[input]: CallArgs<D>): Promise<CallOutput<D>> {
      return send(def, input);
    },
    /** Like `call`, but the error is a value: `if (!r.ok && r.error.code === 'NOT_FOUND')` narrows. */
    async attempt<D extends EndpointDef>(def: D, ...[input]: CallArgs<D>): Promise<CallResult<D>> {
      try {
        return { ok: true, data: await send(def, input) };
      } catch (err) {
        if (err instanceof ApiError) return { ok: false, error: err as ApiError<EndpointErrorCode<D>> };
        throw err;
      }
    },
    /** Every page of a paged endpoint, following `nextCursor`. */
    async *pages<D extends EndpointDef>(def: D, ...[input]: CallArgs<D>): AsyncGenerator<CallOutput<D>> {
      const i = (input ?? {}) as { query?: Record<string, unknown> };
      let cursor: string | null = null;
      do {
        const query = { limit: PAGE_LIMIT, ...i.query, ...(cursor ? { cursor } : {}) };
        const page: CallOutput<D> = await send(def, { ...i, query } as CallInput<D>);
        yield page;
        cursor = (page as Paged).nextCursor;
      } while (cursor);
    },
    /** All items of a paged endpoint. */
    async all<D extends EndpointDef>(def: D, ...[input]: CallArgs<D>): Promise<Item<D>[]> {
      const items: Item<D>[] = [];
      for await (const page of client.pages(def, ...([input] as CallArgs<D>)))
        items.push(...(page as Paged<Item<D>>).items);
      return items;
    },
  };
  return client;
}

export type Client = ReturnType<typeof createClient>;

/** Throws when an answer does not match the contract: a fake or a server that drifted from it. */
export function validateAnswer(def: EndpointDef, status: number, data: unknown): void {
  if (def.stream) return;
  const schema = def.response[status as keyof EndpointDef['response']];
  if (!schema) {
    throw new Error(`${def.method} ${def.path} answered ${status}, which the contract does not declare.`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new Error(`${def.method} ${def.path} answered ${status} off-contract: ${parsed.error.message}`);
  }
}
