import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateToken } from '@latchkey/core';
import { createIo, type GlobalOptions, type Io, type IoDeps } from '../src/lib/io.js';

/** What the fake saw: method, path, query, headers and the parsed body (JSON or form). */
export type Seen = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  json: unknown;
  form: URLSearchParams | undefined;
};
export type Reply = { status?: number; body?: unknown; headers?: Record<string, string> };
export type Handler = (req: Seen) => Reply | Promise<Reply>;

/**
 * A stand-in for the Latchkey server, for CLI unit tests only: it answers what each test scripts
 * and records what the CLI sent. The real server is exercised by test/e2e.
 */
export async function startFakeApi(
  handler: Handler,
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake');
      const type = req.headers['content-type'] ?? '';
      const rec: Seen = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        json: type.includes('json') && text ? JSON.parse(text) : undefined,
        form: type.includes('x-www-form-urlencoded') ? new URLSearchParams(text) : undefined,
      };
      seen.push(rec);
      const reply = await handler(rec);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'latch-test-'));
}

export type TestIo = Io & { stdoutText(): string; stderrText(): string };

/** An io with captured streams, an isolated config folder and no terminal unless asked. */
export function testIo(
  globals: GlobalOptions = {},
  opts: {
    env?: Record<string, string | undefined>;
    isTTY?: boolean;
    ask?: IoDeps['ask'];
    configDir?: string;
  } = {},
): TestIo {
  let out = '';
  let err = '';
  const env = { LATCH_CONFIG_DIR: opts.configDir ?? tempDir(), ...opts.env };
  const io = createIo(globals, {
    env,
    isTTY: opts.isTTY ?? false,
    stdoutIsTTY: false,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    ...(opts.ask ? { ask: opts.ask } : {}),
  });
  return Object.assign(io, { stdoutText: () => out, stderrText: () => err });
}

export const patToken = () => generateToken('lk_pat_');

export const ME = (tokenId = 'pat_1', expiresAt: string | null = '2027-03-22T10:00:00.000Z') => ({
  user: { id: 'usr_1', email: 'ana@example.com', name: 'Ana' },
  token: {
    id: tokenId,
    kind: 'pat',
    name: 'ana-laptop',
    prefix: 'lk_pat_abcd',
    scopes: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt,
    lastUsedAt: null,
  },
  org: null,
});

export const ORGS = [
  { id: 'org_team', name: 'Acme', personal: false, role: 'admin', createdAt: '2026-01-02T00:00:00.000Z' },
  { id: 'org_me', name: 'ana', personal: true, role: 'owner', createdAt: '2026-01-01T00:00:00.000Z' },
];
