import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as os } from 'node:os';
import { Transform } from 'node:stream';
import type * as NodePty from '@lydell/node-pty';
import { maskPatterns, StreamMasker } from './mask.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
/** After the child exits, how long its output pipes may stay open (a daemon it left holds them). */
const DRAIN_MS = 200;

export interface MaskedRun {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The values to hide (the released secrets). */
  values: string[];
  /** A terminal on all three of stdin, stdout and stderr: the child gets a pseudo-terminal. */
  tty: boolean;
  onStartError: (message: string) => void;
  onSignal: (signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void) => () => void;
}

/**
 * `latch run --mask`: like runChild, but the child's output passes through a StreamMasker. On a
 * terminal the child runs in a pseudo-terminal (so it still sees a TTY: colours, prompts, line
 * editing) whose output is masked on its way to ours; otherwise stdout and stderr are piped and
 * masked separately. Resolves to the exit code a shell would report.
 */
export function runMasked(run: MaskedRun): Promise<number> {
  const missing = startProblem(run.command);
  if (missing) {
    run.onStartError(missing.message);
    return Promise.resolve(missing.code);
  }
  return run.tty ? runInPty(run) : runPiped(run);
}

/** sh's answers for a command that cannot start, checked before a pty (which cannot tell us). */
function startProblem(command: string): { code: number; message: string } | null {
  if (!command.includes('/')) return { code: 127, message: `${command}: command not found` };
  if (!existsSync(command)) return { code: 127, message: `${command}: command not found` };
  try {
    accessSync(command, constants.X_OK);
    return null;
  } catch {
    return { code: 126, message: `${command}: EACCES` };
  }
}

const exitCode = (code: number | null, signal: NodeJS.Signals | number | null | undefined): number => {
  if (typeof signal === 'number' && signal > 0) return 128 + signal;
  if (typeof signal === 'string') return 128 + (os.signals[signal] ?? 0);
  return code ?? 1;
};

function maskStream(values: string[]): Transform {
  const patterns = maskPatterns(values);
  let masker: StreamMasker;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      masker.write(chunk);
      cb();
    },
    flush(cb) {
      masker.end();
      cb();
    },
  });
  masker = new StreamMasker(patterns, (b) => t.push(b));
  return t;
}

function runPiped(run: MaskedRun): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(run.command, run.args, { stdio: ['inherit', 'pipe', 'pipe'], env: run.env });
    const out = maskStream(run.values);
    const err = maskStream(run.values);
    child.stdout.pipe(out).pipe(process.stdout, { end: false });
    child.stderr.pipe(err).pipe(process.stderr, { end: false });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const stops = FORWARDED.map((s) => run.onSignal(s, forward));
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      for (const stop of stops) stop();
      resolve(code);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      run.onStartError(`${run.command}: ${e.code ?? e.message}`);
      finish(126);
    });
    child.on('exit', (code, signal) => {
      const result = exitCode(code, signal);
      const flushed = Promise.all([ended(out), ended(err)]);
      // Output still in the pipes is masked and written; a grandchild holding them open is not waited for.
      const timer = setTimeout(() => {
        for (const s of [child.stdout, child.stderr]) s.destroy();
        out.end();
        err.end();
      }, DRAIN_MS);
      void flushed.then(() => {
        clearTimeout(timer);
        finish(result);
      });
    });
  });
}

/** Resolves once the masked stream has pushed its last bytes. */
const ended = (t: Transform) =>
  new Promise<void>((resolve) => {
    if (t.readableEnded) return resolve();
    t.once('end', () => resolve());
    t.once('close', () => resolve());
  });

function loadPty(): typeof NodePty {
  // A native module: loaded only for --mask on a terminal, so every other command starts without it.
  return createRequire(import.meta.url)('@lydell/node-pty') as typeof NodePty;
}

function runInPty(run: MaskedRun): Promise<number> {
  const pty = loadPty();
  const stdin = process.stdin;
  const stdout = process.stdout;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.env)) if (v !== undefined) env[k] = v;
  const term = pty.spawn(run.command, run.args, {
    name: env.TERM ?? 'xterm-256color',
    cols: stdout.columns || 80,
    rows: stdout.rows || 24,
    cwd: process.cwd(),
    env,
    encoding: null,
  });
  const masker = new StreamMasker(maskPatterns(run.values), (b) => stdout.write(b));
  // encoding: null hands us the bytes, so a value split inside a character still matches.
  term.onData((data: string | Buffer) => masker.write(Buffer.isBuffer(data) ? data : Buffer.from(data)));
  // Keys go to the child's terminal as typed: its line discipline turns Ctrl-C into the child's SIGINT.
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  // The pty's socket takes bytes as they are (the typings say string); a string would be re-encoded.
  const onKeys = (data: Buffer) => term.write(data as unknown as string);
  stdin.on('data', onKeys);
  stdin.resume();
  const onResize = () => term.resize(stdout.columns || 80, stdout.rows || 24);
  stdout.on('resize', onResize);
  const stops = FORWARDED.map((s) => run.onSignal(s, (signal) => term.kill(signal)));
  return new Promise((resolve) => {
    term.onExit(({ exitCode: code, signal }) => {
      masker.end();
      for (const stop of stops) stop();
      stdout.off('resize', onResize);
      stdin.off('data', onKeys);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      resolve(exitCode(code, signal));
    });
  });
}
