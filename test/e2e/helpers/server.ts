import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, inject } from 'vitest';
import { createTestDatabase } from '../../../packages/server/src/store/test-database.js';
import { spawnLatch, stop, tempDir, waitFor } from './latch.js';

const dropAfterRun: Array<() => Promise<void>> = [];
afterAll(async () => {
  // After every server of the file has stopped (their afterAll hooks were registered later, so run first).
  await Promise.allSettled(dropAfterRun.splice(0).map((drop) => drop()));
});

export type RunningServer = {
  url: string;
  child: ChildProcess;
  logs: { stdout: string; stderr: string };
  dataDir: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/**
 * Starts the real server process (`latch dev` or `latch server`) on a free port. By default it uses
 * a fresh database on the test run's PostgreSQL (DATABASE_URL), so each server starts in a second;
 * `embedded: true` lets it start its own embedded PostgreSQL in its data folder, as `npm start` does.
 */
export async function startServer(
  opts: {
    command?: 'dev' | 'server';
    embedded?: boolean;
    dataDir?: string;
    env?: Record<string, string>;
    /** How long to wait for the listening line (default 90 s; more for tests on a loaded machine). */
    startTimeoutMs?: number;
  } = {},
): Promise<RunningServer> {
  const data = opts.dataDir ?? tempDir('data').path;
  const env: Record<string, string> = { LATCH_PORT: '0', LATCH_DATA_DIR: data, ...opts.env };
  if (!opts.embedded && !env.DATABASE_URL && !env.LATCH_DATABASE_URL) {
    const db = await createTestDatabase(inject('adminUrl'));
    env.LATCH_DATABASE_URL = db.url;
    dropAfterRun.push(db.drop);
  }
  const configDir = tempDir('server-config').path;
  const proc = spawnLatch([opts.command ?? 'dev'], { env, configDir });
  const url = await waitFor(
    'the server to print its URL',
    () => {
      if (proc.child.exitCode !== null) throw new Error(`server exited early:\n${proc.out.stderr}`);
      return /(?:Latchkey[^\n]*?|Listening on )(http:\/\/127\.0\.0\.1:\d+)/.exec(
        proc.out.stderr + proc.out.stdout,
      )?.[1];
    },
    opts.startTimeoutMs ?? 90_000,
  );
  return {
    url,
    child: proc.child,
    logs: proc.out,
    dataDir: data,
    stop: (signal) => stop(proc.child, signal),
  };
}

/** A port free right now: for a server that must come back on the same one (after a stop or a kill -9). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}
