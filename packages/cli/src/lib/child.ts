import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as os } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/**
 * The executable `command` names, looked up in `path` (the parent's PATH): with --no-inherit the
 * child's environment has no PATH of its own.
 */
export function resolveCommand(command: string, path: string | undefined): string {
  if (command.includes('/') || isAbsolute(command)) return command;
  for (const dir of (path ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return command;
}

/**
 * Runs `command` with stdio passed through and SIGINT/SIGTERM/SIGHUP/SIGQUIT forwarded, resolving
 * to the exit code a shell would report: the child's code, or 128 + the signal's number. A
 * command that cannot start resolves to 127 (not found) or 126 (not executable), as in sh.
 */
export function runChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onStartError: (message: string) => void,
  onSignal: (signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void) => () => void,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => {
      // The terminal may have signalled the child too (same process group); a repeat is harmless.
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const stops = FORWARDED.map((s) => onSignal(s, forward));
    const done = (code: number) => {
      for (const stop of stops) stop();
      resolve(code);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      const notFound = err.code === 'ENOENT';
      onStartError(notFound ? `${command}: command not found` : `${command}: ${err.code ?? err.message}`);
      done(notFound ? 127 : 126);
    });
    child.on('exit', (code, signal) => {
      done(signal ? 128 + (os.signals[signal] ?? 0) : (code ?? 1));
    });
  });
}
