import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { latch, waitFor } from './latch.js';

/** examples/tasks-api: the app the README walks through, guarded by the SDK. */
export const EXAMPLE_DIR = resolve(import.meta.dirname, '../../../examples/tasks-api');
export const EXAMPLE_CONFIG = resolve(EXAMPLE_DIR, 'latch.config.ts');

export type ExampleApp = { child: ChildProcess; url: string; logs: () => string };

/**
 * Makes what the example app needs through the real binary, as its README does: an org (then
 * used), the project `acme` with its `production` environment, the app's scopes pushed from its
 * latch.config.ts (unless `pushScopes: false`), and a platform key for the app. Returns the key.
 */
export async function setUpExampleProject(
  configDir: string,
  opts: { org?: string; pushScopes?: boolean; keyScopes?: string } = {},
): Promise<string> {
  const steps = [
    ['org', 'create', opts.org ?? 'Acme Inc', '--use'],
    ['projects', 'create', 'acme'],
    ['env', 'create', 'production', '--project', 'acme'],
  ];
  if (opts.pushScopes !== false)
    steps.push(['scopes', 'push', '--config', EXAMPLE_CONFIG, '--env', 'production', '--project', 'acme']);
  for (const args of steps) {
    const res = await latch(args, { configDir });
    expect(res.code, res.stderr).toBe(0);
  }
  const key = await latch(
    ['keys', 'create', 'tasks-api', '-s', opts.keyScopes ?? 'api_keys:read,logs:write'],
    {
      configDir,
    },
  );
  expect(key.code, key.stderr).toBe(0);
  return key.stdout.trim();
}

/** The example app as its README runs it (`node --import tsx server.ts`), against a real server. */
export async function startExampleApp(opts: {
  apiUrl: string;
  token: string;
  env?: Record<string, string>;
  /** How long to wait for its listening line (default 20 s). */
  timeoutMs?: number;
}): Promise<ExampleApp> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(EXAMPLE_DIR, 'server.ts')], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, PORT: '0', LATCH_API_URL: opts.apiUrl, LATCH_TOKEN: opts.token, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const url = await waitFor(
    'the app to listen',
    () => {
      if (child.exitCode !== null) throw new Error(`app exited early:\n${out}`);
      return /Tasks API listening on (http:\/\/\S+)/.exec(out)?.[1];
    },
    opts.timeoutMs,
  );
  return { child, url, logs: () => out };
}
