import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMatcher } from '../routes/compile.js';
import { type Engine, serialize } from '../routes/engine.js';
import { errorBody } from '../routes/responses.js';
import type { OutgoingResponse } from '../routes/types.js';
import { BodyTooLarge, parseQuery, readBody } from './node-body.js';

type Req = IncomingMessage & { path?: string; ip?: string; body?: unknown; rawBody?: unknown };
type Next = (err?: unknown) => void;
export type ExpressLike = { use(fn: (req: Req, res: ServerResponse, next: Next) => void): unknown };

export function send(res: ServerResponse, out: OutgoingResponse, head = false): void {
  res.writeHead(out.status, out.headers);
  res.end(head ? undefined : (out.body ?? undefined));
}

/** The body, even when an app-wide parser (express.json()) already consumed the stream. */
async function bodyOf(req: Req, limit: number): Promise<Buffer> {
  if (!req.readableEnded && req.body === undefined) return readBody(req, limit);
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === 'string') return Buffer.from(req.body);
  // Parsed by someone else and the bytes are gone: re-encode (mount before body parsers for
  // byte-exact rawBody, which webhook signatures need).
  return req.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(req.body));
}

/** Express (4 or 5) and connect: one middleware; anything outside the table goes to next(). */
export function mountExpress(app: ExpressLike, engine: Engine): void {
  const match = createMatcher(engine.routes);
  app.use((req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = req.path ?? (q === -1 ? url : url.slice(0, q));
    const found = match(req.method ?? 'GET', path);
    if (!found) return next();
    bodyOf(req, engine.bodyLimit)
      .then((rawBody) =>
        engine.handle(found.route, {
          method: req.method ?? 'GET',
          path,
          params: found.params,
          query: parseQuery(q === -1 ? '' : url.slice(q + 1)),
          headers: req.headers,
          rawBody,
          ip: req.ip ?? req.socket.remoteAddress ?? '',
        }),
      )
      .then(
        (out) => send(res, out, req.method === 'HEAD'),
        (err) => {
          if (err instanceof BodyTooLarge) {
            res.setHeader('connection', 'close');
            return send(
              res,
              serialize({
                status: 413,
                body: errorBody('PAYLOAD_TOO_LARGE', 'The request body is too large.'),
              }),
            );
          }
          next(err);
        },
      );
  });
}
