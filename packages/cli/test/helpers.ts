import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApiKey,
  type EndpointEntry,
  type Environment,
  endpointList,
  generateToken,
  isErrorBody,
  validateAnswer,
} from '@latchkey/core';
import { afterEach, expect } from 'vitest';
import { ConfigStore } from '../src/lib/config.js';
import { CliError } from '../src/lib/exit.js';
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

/** The table's entry for a request, preferring literal segments (`secrets/import` over `secrets/:name`). */
function entryFor(method: string, path: string): EndpointEntry | undefined {
  const params = (p: string) => (p.match(/:/g) ?? []).length;
  return endpointList
    .filter(({ endpoint: e }) => e.method === method)
    .filter(({ endpoint: e }) => new RegExp(`^${e.path.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(path))
    .sort((a, b) => params(a.endpoint.path) - params(b.endpoint.path))[0];
}

/**
 * Why a scripted answer could not come from the real server: an /api/v1 route the contract table
 * lacks, a success body off its schema, or an error code the endpoint does not declare.
 */
export function offContract(method: string, path: string, status: number, body: unknown): string | null {
  if (!path.startsWith('/api/v1/')) return null;
  const entry = entryFor(method, path);
  if (!entry) return `${method} ${path} is not in the contract table`;
  if (status >= 200 && status < 300) {
    try {
      validateAnswer(entry.endpoint, status, body);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (!isErrorBody(body)) return `${entry.id} answered ${status} without the error shape`;
  const codes: readonly string[] = entry.endpoint.allErrors;
  return codes.includes(body.error.code) ? null : `${entry.id} does not answer ${body.error.code}`;
}

/**
 * A stand-in for the Latchkey server, for CLI unit tests only: it answers what each test scripts
 * and records what the CLI sent. Every scripted /api/v1 answer is checked against the contract
 * table, so a fake cannot drift from the real server; close() fails the test when one did. The
 * real server is exercised by test/e2e.
 */
export async function startFakeApi(
  handler: Handler,
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const violations: string[] = [];
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
      let reply = await handler(rec);
      const wrong = offContract(rec.method, rec.path, reply.status ?? 200, reply.body);
      if (wrong) {
        violations.push(wrong);
        reply = {
          status: 500,
          body: { error: { code: 'INTERNAL', message: `off-contract fake: ${wrong}` } },
        };
      }
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      if (violations.length) throw new Error(`The fake answered off-contract:\n${violations.join('\n')}`);
    },
  };
}

/**
 * The fake API of the test under way: `fake(handler)` starts one, closed after the test (where
 * its close finds an off-contract answer, the test fails). Called once at the top of a file.
 */
export function useFakeApi(): (handler: Handler) => ReturnType<typeof startFakeApi> {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    const closing = close;
    close = undefined;
    await closing?.();
  });
  return async (handler) => {
    const api = await startFakeApi(handler);
    close = api.close;
    return api;
  };
}

/** The CliError a command fails with (and that it does fail). */
export async function failure(p: Promise<unknown>): Promise<CliError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  return err as CliError;
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
    askText?: IoDeps['askText'];
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
    ...(opts.askText ? { askText: opts.askText } : {}),
  });
  return Object.assign(io, { stdoutText: () => out, stderrText: () => err });
}

export const patToken = () => generateToken('lk_pat_');

/** A fresh config dir holding a login to the API at `apiUrl`: a PAT, active org Acme. */
export function signedInDir(apiUrl: string): string {
  const dir = tempDir();
  new ConfigStore(dir).update({ apiUrl, token: patToken(), activeOrg: { id: 'org_team', name: 'Acme' } });
  return dir;
}

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

/*
 * Fixture factories typed by core's contract schemas: when the server's answers grow a field, the
 * compiler points at these few functions instead of every test that scripts such an answer.
 */

/** An environment as the server answers it, of project acme unless told. */
export function environmentOf(
  name: string,
  opts: { project?: Environment['project']; manifest?: Environment['manifest'] } = {},
): Environment {
  const project = opts.project ?? { id: 'prj_acme', name: 'acme' };
  return {
    id: `env_${name}`,
    projectId: project.id,
    project,
    name,
    createdAt: '2026-01-01T00:00:00.000Z',
    manifest: opts.manifest ?? null,
  };
}

/** An app API key as the server answers it (without its token), active unless told. */
export function apiKeyOf(fields: Partial<ApiKey> = {}): ApiKey {
  return {
    kind: 'api_key',
    id: 'ak_1',
    name: 'Warehouse sync',
    prefix: 'acme_AbCd',
    scope: 'read',
    environment: 'production',
    metadata: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'ana@example.com',
    lastUsedAt: null,
    expiresAt: null,
    rotatingUntil: null,
    revokedAt: null,
    status: 'active',
    ...fields,
  };
}
