import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Received = { path: string; headers: http.IncomingHttpHeaders; body: string; verified: boolean };

/** How the receiver answers the next requests to a path: a status, a delay, a Retry-After. */
export type Answer = {
  status?: number;
  delayMs?: number;
  retryAfter?: string;
  body?: string;
  hang?: boolean;
};

/**
 * A local webhook receiver that fails on purpose. Every request's signature is checked with the
 * `standardwebhooks` package (a third-party verifier, not our code) against the secrets given.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const secrets = new Map<string, string[]>();
  const script = new Map<string, Answer[]>();
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      let verified = false;
      for (const secret of secrets.get(path) ?? []) {
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
          verified = true;
        } catch {}
      }
      received.push({ path, headers: req.headers, body, verified });
      const answer = script.get(path)?.shift() ?? {};
      if (answer.hang) return;
      const send = () => {
        res.writeHead(answer.status ?? 200, answer.retryAfter ? { 'retry-after': answer.retryAfter } : {});
        res.end(answer.body ?? 'ok');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    at: (path: string) => received.filter((r) => r.path === path),
    /** Secrets the receiver verifies a path's deliveries with. */
    trust(path: string, ...s: string[]) {
      secrets.set(path, s);
    },
    /** The next answers for a path, in order; then 200. */
    answer(path: string, ...answers: Answer[]) {
      script.set(path, answers);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
