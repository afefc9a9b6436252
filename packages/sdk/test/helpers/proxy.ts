import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

export type CountingProxy = {
  url: string;
  /** Requests seen, by method and path without the query: `POST /api/v1/…/verify`. */
  count(match: RegExp): number;
  /** Cuts every connection and refuses new ones: the server is "unreachable". */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
};

/**
 * A plain forwarding proxy in front of the real server: it counts requests (single-flight
 * tests) and can disappear and come back (offline tests) without touching the server itself.
 */
export async function startProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        seen.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
        const up = request(
          {
            host: upstream.hostname,
            port: upstream.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        res.on('close', () => up.destroy());
        req.pipe(up);
      });
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.listen(port, '127.0.0.1', () => {
        const addr = server.address();
        port = typeof addr === 'object' && addr ? addr.port : 0;
        resolve();
      });
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    count: (match) => seen.filter((s) => match.test(s)).length,
    stop,
    start: listen,
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
