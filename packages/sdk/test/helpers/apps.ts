import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ManifestInput } from '@latchkey/core';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createFetchHandler, type MountOptions, mountRoutes, toNodeListener } from '../../src/index.js';

export type RunningApp = { url: string; close(): Promise<void> };
export type Framework = 'fastify' | 'express' | 'hono' | 'node:http (fetch handler)';
export const FRAMEWORKS: Framework[] = ['fastify', 'express', 'hono', 'node:http (fetch handler)'];

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/**
 * The same manifest and handlers on a real loopback server of each kind, each with one route of
 * its own outside the table (`GET /health`), which the SDK must leave alone.
 */
export async function startApp(
  framework: Framework,
  manifest: ManifestInput,
  opts: MountOptions,
): Promise<RunningApp> {
  switch (framework) {
    case 'fastify': {
      const app = Fastify();
      app.get('/health', async () => ({ own: 'fastify' }));
      app.post('/own-json', async (req) => ({ parsed: req.body }));
      const mounted = mountRoutes(app, manifest, opts);
      await app.listen({ host: '127.0.0.1', port: 0 });
      return {
        url: urlOf(app.server),
        close: async () => {
          await app.close();
          await mounted.close();
        },
      };
    }
    case 'express': {
      const app = express();
      const mounted = mountRoutes(app, manifest, opts);
      app.get('/health', (_req, res) => {
        res.json({ own: 'express' });
      });
      app.post('/own-json', express.json(), (req, res) => {
        res.json({ parsed: req.body });
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      return {
        url: urlOf(server),
        close: async () => {
          await closeServer(server);
          await mounted.close();
        },
      };
    }
    case 'hono': {
      const app = new Hono();
      const mounted = mountRoutes(app, manifest, opts);
      app.get('/health', (c) => c.json({ own: 'hono' }));
      app.post('/own-json', async (c) => c.json({ parsed: await c.req.json() }));
      const server = await new Promise<Server>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
      });
      return {
        url: urlOf(server),
        close: async () => {
          await closeServer(server);
          await mounted.close();
        },
      };
    }
    default: {
      const handler = createFetchHandler(manifest, opts);
      const server = createServer(
        toNodeListener(handler, (req, res) => {
          if (req.url === '/health')
            return res.writeHead(200, { 'content-type': 'application/json' }).end('{"own":"node"}');
          if (req.url === '/own-json') {
            let body = '';
            req.on('data', (d) => {
              body += d;
            });
            req.on('end', () => res.writeHead(200).end(JSON.stringify({ parsed: JSON.parse(body) })));
            return;
          }
          res.writeHead(404).end('not ours');
        }),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return {
        url: urlOf(server),
        close: async () => {
          await closeServer(server);
          await handler.close();
        },
      };
    }
  }
}
