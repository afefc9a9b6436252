import type { IncomingHttpHeaders } from 'node:http';
import type { ErrorCode } from '@latchkey/core';

export type HttpRequest = {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
};
export type HttpResponse = { status: number; headers: IncomingHttpHeaders; body: string };
/** How the API client reaches the network; tests may swap it, nothing else should need to. */
export type Transport = (url: URL, req: HttpRequest) => Promise<HttpResponse>;

/** The connection failed before any HTTP answer: refused, DNS, TLS, timeout. */
export class NetworkError extends Error {
  readonly code: ErrorCode = 'SERVICE_UNAVAILABLE';
  readonly origin: string;
  readonly reason: string;

  constructor(origin: string, reason: string, cause?: unknown) {
    super(`cannot reach ${origin}: ${reason}`, { cause });
    this.name = 'NetworkError';
    this.origin = origin;
    this.reason = reason;
  }
}

/**
 * node:http rather than fetch: on Node 20 the first fetch() loads undici, which costs ~85 ms of
 * start-up, more than the whole rest of a `latch` command.
 */
export const nodeTransport: Transport = async (url, req) => {
  const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    // agent: false: one connection per request, so no idle keep-alive socket holds the process open.
    const request = mod.request(url, { method: req.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => reject(new NetworkError(url.origin, err.message, err)));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    const timeoutMs = req.timeoutMs ?? 30_000;
    request.setTimeout(timeoutMs, () => {
      request.destroy(new NetworkError(url.origin, `no answer within ${timeoutMs / 1000} s`));
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      reject(err instanceof NetworkError ? err : new NetworkError(url.origin, err.code ?? err.message, err));
    });
    request.end(req.body);
  });
};
