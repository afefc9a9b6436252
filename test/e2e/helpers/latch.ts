import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const LATCH_BIN = resolve(import.meta.dirname, '../../../packages/cli/dist/latch.js');

// biome-ignore lint/suspicious/noExplicitAny: tests read the CLI's --json output field by field
export type RunResult = { code: number; stdout: string; stderr: string; json<T = any>(): T };

/**
 * The environment `latch` runs with: this process's, minus CI and any LATCH_TOKEN (a test sets
 * what it means to), with `env` over it (an empty value unsets), its own config dir and no colour.
 */
function latchEnv(opts: { env?: Record<string, string | undefined>; configDir: string }) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: '', LATCH_TOKEN: '', ...opts.env })) {
    if (v !== undefined && v !== '') env[k] = v;
  }
  env.LATCH_CONFIG_DIR = opts.configDir;
  env.NO_COLOR = '1';
  return env;
}

/** Runs the real `latch` binary as a user would, with its own config dir and no TTY. */
export function latch(
  args: string[],
  opts: {
    env?: Record<string, string | undefined>;
    configDir: string;
    input?: string;
    timeoutMs?: number;
    /** The folder to run in (project links, latch.config files); default: this process's. */
    cwd?: string;
  },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [LATCH_BIN, ...args], {
      env: latchEnv(opts),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`latch ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? 1, stdout, stderr, json: () => JSON.parse(stdout) });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts `latch` with arguments and returns the live process (for flows that wait on us). */
export function spawnLatch(
  args: string[],
  opts: { env?: Record<string, string | undefined>; configDir: string; cwd?: string },
) {
  const child = spawn(process.execPath, [LATCH_BIN, ...args], {
    env: latchEnv(opts),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => {
    out.stdout += d;
  });
  child.stderr.on('data', (d) => {
    out.stderr += d;
  });
  const done = new Promise<number>((r) => child.on('close', (code) => r(code ?? 1)));
  return { child, out, done };
}

export function tempDir(name: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `latch-e2e-${name}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

// The one polling wait of every test, kept beside the server tests' helpers.
export { waitFor } from '../../../packages/server/test/helpers/wait-for.js';

export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null) return r(child.exitCode);
    child.once('close', (code) => r(code));
    child.kill(signal);
  });
}
