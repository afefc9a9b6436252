import type { ErrorBody, ErrorCode } from '@latchkey/core';
import type { RouteResponse } from './types.js';

type Headers = Record<string, string>;

const withHeaders = (res: RouteResponse, headers?: Headers): RouteResponse =>
  headers ? { ...res, headers } : res;

export function errorBody(code: ErrorCode, message: string, hint?: string): ErrorBody {
  return { error: { code, message, ...(hint ? { hint } : {}) } };
}

/** 200 with a JSON body (or text for a string, bytes for a Buffer). */
export const ok = (body?: unknown, headers?: Headers): RouteResponse =>
  withHeaders({ status: 200, body }, headers);

/** 201; pass `location` for the new resource. */
export const created = (body?: unknown, opts: { location?: string; headers?: Headers } = {}): RouteResponse =>
  withHeaders(
    { status: 201, body },
    opts.location ? { ...opts.headers, location: opts.location } : opts.headers,
  );

export const noContent = (headers?: Headers): RouteResponse => withHeaders({ status: 204 }, headers);

export const badRequest = (message: string, hint?: string): RouteResponse => ({
  status: 400,
  body: errorBody('INVALID_INPUT', message, hint),
});

export const unauthorized = (message = 'This needs a credential.', hint?: string): RouteResponse => ({
  status: 401,
  body: errorBody('UNAUTHENTICATED', message, hint),
  headers: { 'www-authenticate': 'Bearer' },
});

export const forbidden = (message = 'Not permitted.', hint?: string): RouteResponse => ({
  status: 403,
  body: errorBody('PERMISSION_DENIED', message, hint),
});

export const notFound = (message = 'Not found.', hint?: string): RouteResponse => ({
  status: 404,
  body: errorBody('NOT_FOUND', message, hint),
});

export const tooManyRequests = (retryAfterSeconds: number, message?: string): RouteResponse => ({
  status: 429,
  body: errorBody(
    'RATE_LIMITED',
    message ?? `Too many requests. Try again in ${retryAfterSeconds} s.`,
    'Slow down; the limit resets on its own.',
  ),
  headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
});
