import type { Engine } from '../routes/engine.js';
import { serialize } from '../routes/engine.js';
import { errorBody } from '../routes/responses.js';

// The few Fastify shapes used here, so the SDK needs no Fastify types at run or build time.
type Req = {
  method: string;
  url: string;
  params: unknown;
  query: unknown;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  ip: string;
};
type Reply = {
  code(n: number): Reply;
  headers(h: Record<string, string>): Reply;
  send(body?: unknown): unknown;
};
type Scope = {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    opts: { parseAs: 'buffer'; bodyLimit: number },
    fn: (req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => void,
  ): void;
  setErrorHandler(fn: (err: { statusCode?: number; code?: string }, req: Req, reply: Reply) => unknown): void;
  route(opts: { method: string; url: string; handler: (req: Req, reply: Reply) => Promise<unknown> }): void;
};
export type FastifyLike = {
  register(plugin: (scope: Scope, opts: object) => Promise<void>, opts?: object): unknown;
  addContentTypeParser: unknown;
};

const EMPTY = Buffer.alloc(0);

/**
 * Registers each manifest route on Fastify's own router, inside an encapsulated plugin: there,
 * every content type is read as raw bytes (handlers get `rawBody` for webhook signatures, and
 * the engine parses JSON itself), while the app's other routes keep their own parsers.
 */
export function mountFastify(app: FastifyLike, engine: Engine): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: engine.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((err, _req, reply) => {
      const tooLarge = err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
      const out = tooLarge
        ? serialize({
            status: 413,
            body: errorBody(
              'PAYLOAD_TOO_LARGE',
              'The request body is too large.',
              `Send at most ${engine.bodyLimit} bytes.`,
            ),
          })
        : serialize({
            status: err.statusCode && err.statusCode < 500 ? err.statusCode : 500,
            body: errorBody('INVALID_INPUT', 'The request could not be read.'),
          });
      return reply
        .code(out.status)
        .headers(out.headers)
        .send(out.body ?? undefined);
    });
    for (const route of engine.routes) {
      scope.route({
        method: route.method,
        url: route.path,
        handler: async (req, reply) => {
          const q = req.url.indexOf('?');
          const out = await engine.handle(route, {
            method: req.method,
            path: q === -1 ? req.url : req.url.slice(0, q),
            params: req.params as Record<string, string>,
            query: req.query as Record<string, string | string[]>,
            headers: req.headers,
            rawBody: Buffer.isBuffer(req.body) ? req.body : EMPTY,
            ip: req.ip,
          });
          return reply
            .code(out.status)
            .headers(out.headers)
            .send(out.body ?? undefined);
        },
      });
    }
  });
}
