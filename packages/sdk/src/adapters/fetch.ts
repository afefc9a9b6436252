import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Manifest, ManifestInput } from '@latchkey/core';
import { createMatcher } from '../routes/compile.js';
import { createEngine, type Engine, serialize } from '../routes/engine.js';
import { errorBody } from '../routes/responses.js';
import type { MountOptions, OutgoingResponse } from '../routes/types.js';
import { BodyTooLarge, readBody } from './node-body.js';

export type FetchHandler = ((request: Request, info?: { ip?: string }) => Promise<Response>) & {
  /** The manifest route's answer, or null for a request outside the table (hand it on). */
  handle(request: Request, info?: { ip?: string }): Promise<Response | null>;
  /** Whether a manifest route takes this method and path. */
  matches(method: string, path: string): boolean;
  bodyLimit: number;
  close(): Promise<void>;
};

const toResponse = (out: OutgoingResponse, head: boolean) =>
  new Response(head || out.body === null ? null : (out.body as BodyInit), {
    status: out.status,
    headers: out.headers,
  });

const tooLarge = () =>
  serialize({ status: 413, body: errorBody('PAYLOAD_TOO_LARGE', 'The request body is too large.') });

async function readLimited(request: Request, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The route table as a fetch-style handler, `(Request) => Promise<Response>`: Hono, Bun, Deno,
 * Cloudflare-style servers, and Node's http through `toNodeListener`. A request outside the
 * table answers 404 (or use `.handle()`, which answers null so you can pass it on).
 */
export function createFetchHandler(manifest: ManifestInput | Manifest, opts: MountOptions): FetchHandler {
  return fetchHandlerFor(createEngine(manifest, opts));
}

export function fetchHandlerFor(engine: Engine): FetchHandler {
  const match = createMatcher(engine.routes);
  async function handle(request: Request, info?: { ip?: string }): Promise<Response | null> {
    const url = new URL(request.url);
    const found = match(request.method, url.pathname);
    if (!found) return null;
    let rawBody: Buffer;
    try {
      rawBody = await readLimited(request, engine.bodyLimit);
    } catch (err) {
      if (err instanceof BodyTooLarge) return toResponse(tooLarge(), false);
      throw err;
    }
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(key);
      query[key] = all.length === 1 ? all[0]! : all;
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const out = await engine.handle(found.route, {
      method: request.method,
      path: url.pathname,
      params: found.params,
      query,
      headers,
      rawBody,
      ip: info?.ip ?? '',
    });
    return toResponse(out, request.method === 'HEAD');
  }
  const handler = async (request: Request, info?: { ip?: string }) =>
    (await handle(request, info)) ??
    toResponse(serialize({ status: 404, body: errorBody('NOT_FOUND', 'No such route.') }), false);
  return Object.assign(handler, {
    handle,
    matches: (method: string, path: string) => match(method, path) !== null,
    bodyLimit: engine.bodyLimit,
    close: () => engine.close(),
  });
}

/**
 * Node's http for a fetch handler: `http.createServer(toNodeListener(handler))`. Requests the
 * handler does not know go to `fallback` (default: the handler's 404).
 */
export function toNodeListener(
  handler: FetchHandler,
  fallback?: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const host = req.headers.host ?? 'localhost';
    const method = req.method ?? 'GET';
    // Not ours: hand it on before reading anything, so the fallback still has the body stream.
    if (fallback && !handler.matches(method, (req.url ?? '/').split('?')[0]!)) return fallback(req, res);
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const read = hasBody ? readBody(req, handler.bodyLimit) : Promise.resolve(null);
    read
      .then((body) => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) {
          if (Array.isArray(v)) for (const item of v) headers.append(k, item);
          else if (v !== undefined) headers.set(k, v);
        }
        const request = new Request(`http://${host}${req.url ?? '/'}`, {
          method,
          headers,
          ...(body?.length ? { body: body as unknown as BodyInit } : {}),
        });
        const ip = req.socket.remoteAddress ?? '';
        return handler(request, { ip });
      })
      .then(async (response) => {
        const headers: Record<string, string> = {};
        response.headers.forEach((v, k) => {
          headers[k] = v;
        });
        res.writeHead(response.status, headers);
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch((err) => {
        const out =
          err instanceof BodyTooLarge
            ? tooLarge()
            : serialize({ status: 500, body: errorBody('INTERNAL', 'Something went wrong.') });
        if (res.headersSent) return res.end();
        res.writeHead(out.status, out.headers);
        res.end(out.body);
      });
  };
}
