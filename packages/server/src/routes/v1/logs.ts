import type { ServerResponse } from 'node:http';
import { type LogEvent, logs } from '@latchkey/core';
import type { RouteModule } from '../../app.js';
import { TAIL_POLL_MS } from '../../services/logs/logs.service.js';
import { register } from '../register.js';
import { HEARTBEAT_MS } from './sdk.js';

const frame = (e: LogEvent) => `id: ${e.id}\nevent: log\ndata: ${JSON.stringify(e)}\n\n`;

/**
 * `latch logs`: a window of an environment's log, and the same log live over server-sent events.
 * A stream polls the database (each node on its own: positions are database positions, so a
 * client resumes on any node after any restart with Last-Event-ID, and sees each event once).
 */
export const logRoutes: RouteModule = (fastify, { services, metrics }) => {
  const open = new Set<ServerResponse>();
  metrics.sseClients('logs', () => open.size);

  fastify.addHook('preClose', async () => {
    for (const res of open) res.end();
    open.clear();
  });

  register(fastify, logs.list, async (req) =>
    services.logs.list(req.actor, req.params.project, req.params.env, req.query),
  );

  register(fastify, logs.stream, async (req, reply) => {
    const header = req.headers['last-event-id'];
    const lastEventId = (typeof header === 'string' && header ? header : undefined) ?? req.query.lastEventId;
    // Resolves project and environment (404s, permission) before anything is written.
    const { cursor, backlog } = await services.logs.open(req.actor, req.params.project, req.params.env, {
      type: req.query.type,
      key: req.query.key,
      backlog: req.query.backlog ?? 20,
      lastEventId,
    });
    const res = reply.raw;
    if (res.destroyed) return;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
    });
    res.write('retry: 1000\n');
    for (const e of backlog) res.write(frame(e));
    // Where this stream stands: a client that got no event yet resumes from here.
    res.write(`id: ${services.logs.position(cursor)}\nevent: hello\ndata: {}\n\n`);
    open.add(res);

    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    beat.unref();
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(beat);
      open.delete(res);
    };
    res.on('close', stop);
    const poll = async () => {
      if (stopped) return;
      try {
        const events = await services.logs.next(cursor);
        for (const e of events) res.write(frame(e));
        // A full batch means more is waiting: ask again at once.
        timer = setTimeout(() => void poll(), events.length >= 500 ? 0 : TAIL_POLL_MS);
      } catch (err) {
        // The database went away: end the stream; the client resumes from its last id.
        req.log.warn({ err }, 'log stream ended');
        res.end();
        stop();
      }
    };
    timer = setTimeout(() => void poll(), TAIL_POLL_MS);
  });
};
