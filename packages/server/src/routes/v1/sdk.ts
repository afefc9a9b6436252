import type { ServerResponse } from 'node:http';
import { type KeyStreamHello, sdk } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import type { KeyEvent, KeyEventSink } from '../../services/sdk/key-events.service.js';
import { register } from '../register.js';

/**
 * Comments keep idle proxies from cutting the stream, and let an SDK notice a dead one: it
 * reconnects when nothing at all arrived for a few heartbeats.
 */
export const HEARTBEAT_MS = 15_000;

function frame(event: string, id: string | null, data: unknown): string {
  return `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

const wire = (e: KeyEvent) => frame(e.kind, e.id, { kind: e.kind, hashes: e.hashes });

/** The routes app SDKs use beside verification: pushed invalidation and usage reports. */
export const sdkRoutes: RouteModule = (fastify, { services, metrics }) => {
  const open = new Set<ServerResponse>();
  metrics.sseClients('key_events', () => open.size);

  // A stream never ends on its own: end them when the server stops, so close() is not held
  // open and SDKs reconnect (to another node, or to this one when it is back).
  fastify.addHook('preClose', async () => {
    for (const res of open) res.end();
    open.clear();
  });

  register(fastify, sdk.events, async (req, reply) => {
    const header = req.headers['last-event-id'];
    const lastId = (typeof header === 'string' ? header : undefined) ?? req.query.lastEventId;
    const res = reply.raw;
    let ready = false;
    const pending: string[] = [];
    const write = (text: string) => {
      if (!ready) pending.push(text);
      else if (!res.writableEnded) res.write(text);
    };
    const sink: KeyEventSink = {
      event: (e) => write(wire(e)),
      reset: () => write(frame('reset', null, { cache: true })),
      // `hashes: []`: an SDK from before status frames takes it for an event and evicts nothing.
      status: (degraded) => write(frame('status', null, { degraded, hashes: [] })),
    };
    // Resolves project and environment (404s, permission) before anything is written.
    const stream = await services.keyEvents.open(
      req.actor,
      req.params.project,
      req.query.environment,
      lastId,
      sink,
    );
    let beat: NodeJS.Timeout | undefined;
    res.on('close', () => {
      clearInterval(beat);
      stream.close();
      open.delete(res);
    });
    if (res.destroyed) return stream.close(); // the client left while we resolved the project
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
    });
    const hello: KeyStreamHello = {
      resumed: stream.replay !== null,
      cache: true,
      degraded: stream.degraded,
      environment: stream.environment,
      heartbeatMs: HEARTBEAT_MS,
    };
    res.write(`retry: 1000\n${frame('hello', stream.cursor, hello)}`);
    for (const e of stream.replay ?? []) res.write(wire(e));
    ready = true;
    for (const text of pending.splice(0)) res.write(text);
    open.add(res);
    beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    beat.unref();
  });

  register(fastify, sdk.usage, async (req) =>
    services.usage.report(req.actor, req.params.project, req.body.items, req.ip ?? null),
  );
};
