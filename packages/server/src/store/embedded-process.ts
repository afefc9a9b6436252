import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export type PostgresExit = { code: number | null; signal: NodeJS.Signals | null };

export type PostgresProcess = {
  pid: number;
  /** Settles when postgres exits for any reason, stop() or not. */
  exited: Promise<PostgresExit>;
  /** Fast shutdown (SIGINT: roll back open transactions, checkpoint) and wait for the exit. */
  stop(): Promise<void>;
};

export type SpawnPostgresOptions = {
  binary: string;
  pgDir: string;
  port: number;
  settings: Record<string, string>;
  /** Set when we are root: postgres refuses to run as root, so it runs as the `postgres` user. */
  user?: { uid: number; gid: number };
  log: (line: string) => void;
  timeoutMs: number;
};

type StartFailure = 'port-in-use' | 'already-running' | 'failed';

export class PostgresStartError extends Error {
  constructor(
    message: string,
    readonly reason: StartFailure,
    readonly output: string[],
    /** The pid postgres named in its "lock file already exists" complaint. */
    readonly otherPid?: number,
  ) {
    super(message);
  }
}

const READY = 'database system is ready to accept connections';

export function spawnPostgres(opts: SpawnPostgresOptions): Promise<PostgresProcess> {
  const args = ['-D', opts.pgDir, '-p', String(opts.port)];
  for (const [name, value] of Object.entries(opts.settings)) args.push('-c', `${name}=${value}`);
  const child = spawn(opts.binary, args, {
    ...opts.user,
    // Its own process group: Ctrl-C in the terminal reaches only us, and we stop postgres after the
    // in-flight requests have finished instead of it dropping their connections first.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Readiness is detected from the English log line, so the messages must be English.
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: undefined },
  });

  const tail: string[] = [];
  const exited = new Promise<PostgresExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // If this process exits without stop() (an uncaught error, process.exit), postgres must not linger.
  const stopOnExit = () => child.kill('SIGINT');
  process.on('exit', stopOnExit);
  void exited.then(() => process.off('exit', stopOnExit));

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      if (await settlesWithin(exited, 20_000)) return;
      child.kill('SIGQUIT'); // immediate shutdown; crash recovery on the next start
      if (await settlesWithin(exited, 5_000)) return;
      child.kill('SIGKILL');
      await exited;
    })();
    return stopping;
  };

  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      fail(`PostgreSQL in ${opts.pgDir} did not become ready within ${opts.timeoutMs / 1000} s.`, 'failed');
      void stop();
    }, opts.timeoutMs);
    const fail = (message: string, reason: StartFailure, otherPid?: number) => {
      clearTimeout(timer);
      reject(new PostgresStartError(message, reason, [...tail], otherPid));
    };

    // postgres logs to stderr for as long as it runs; the pipe must be drained or postgres blocks.
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        opts.log(line);
        if (!ready) {
          tail.push(line);
          if (tail.length > 30) tail.shift();
        }
        if (!ready && line.includes(READY)) {
          ready = true;
          clearTimeout(timer);
          resolve({ pid: child.pid ?? 0, exited, stop });
        }
      });
    }
    child.once('error', (err) => fail(`Could not run ${opts.binary}: ${err.message}`, 'failed'));
    void exited.then(({ code, signal }) => {
      if (ready) return;
      const output = tail.join('\n');
      if (/could not bind|Address already in use/i.test(output)) return fail(output, 'port-in-use');
      const lock = /lock file "postmaster\.pid" already exists/.test(output);
      const pid = Number(/\(PID (\d+)\)/.exec(output)?.[1]) || undefined;
      if (lock) return fail(output, 'already-running', pid);
      fail(`PostgreSQL exited during start (${signal ?? `code ${code}`}).`, 'failed');
    });
  });
}

/** True when `pid` is a postgres server for `pgDir` (Linux only: it reads /proc). */
export async function isPostmasterOf(pid: number, pgDir: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const args = cmdline.split('\0');
  return /postgres$/.test(args[0] ?? '') && args.includes(pgDir);
}

/** Stops a postgres we did not start (left over by a crashed run) and waits until it is gone. */
export async function stopStrayPostgres(pid: number, timeoutMs = 20_000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return true;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
  }
  return false;
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  const settled = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return settled;
}
