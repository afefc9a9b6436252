import type { Manifest, ManifestInput } from '@latchkey/core';
import { createEngine } from '../routes/engine.js';
import type { MountOptions } from '../routes/types.js';
import { type ExpressLike, mountExpress } from './express.js';
import { type FastifyLike, mountFastify } from './fastify.js';
import { fetchHandlerFor } from './fetch.js';

type HonoContext = { req: { raw: Request }; env?: { incoming?: { socket?: { remoteAddress?: string } } } };
type HonoLike = {
  use(
    path: string,
    fn: (c: HonoContext, next: () => Promise<void>) => Promise<Response | undefined>,
  ): unknown;
  fetch: unknown;
  request: unknown;
};

const isFastify = (app: object): app is FastifyLike =>
  typeof (app as FastifyLike).addContentTypeParser === 'function' &&
  typeof (app as FastifyLike).register === 'function';
const isHono = (app: object): app is HonoLike =>
  typeof (app as HonoLike).fetch === 'function' && typeof (app as HonoLike).request === 'function';

/**
 * Mounts the manifest's routes with their handlers on a Fastify, Express (or connect) or Hono
 * app. Everything is checked first and synchronously (manifest, handlers, auth needs), so a
 * mistake stops start-up with a message naming the route. Requests outside the table are left
 * to the app. Returns a function that releases what the routes hold (a Redis limiter).
 */
export function mountRoutes(
  app: FastifyLike | ExpressLike | HonoLike,
  manifest: ManifestInput | Manifest,
  opts: MountOptions,
): { close(): Promise<void> } {
  const engine = createEngine(manifest, opts);
  if (isFastify(app)) mountFastify(app, engine);
  else if (isHono(app)) {
    const handler = fetchHandlerFor(engine);
    app.use('*', async (c, next) => {
      const ip = c.env?.incoming?.socket?.remoteAddress;
      const res = await handler.handle(c.req.raw, ip ? { ip } : {});
      if (res) return res;
      await next();
      return undefined;
    });
  } else if (typeof (app as ExpressLike).use === 'function') mountExpress(app as ExpressLike, engine);
  else
    throw new TypeError(
      'mountRoutes takes a Fastify, Express or Hono app; for others use createFetchHandler.',
    );
  return { close: () => engine.close() };
}
