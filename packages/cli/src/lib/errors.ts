import { ApiError } from '@latchkey/core';
import { NotSignedInError } from './client.js';
import { CliError, EXIT, type ExitCode } from './exit.js';
import { dateTime } from './format.js';
import { NetworkError } from './http.js';

export type Failure = {
  exitCode: ExitCode;
  code: string;
  message: string;
  hint?: string;
  requestId?: string;
};

/** What the error handler knows about the credential in use, to phrase 401s precisely. */
export type FailureContext = {
  apiUrl?: string;
  tokenSource?: 'env' | 'config' | null;
  tokenExpiresAt?: string | null;
  /** The server a stored login belongs to, when it is not the one this command talks to. */
  storedLoginFor?: string | undefined;
};

/** Operating-system failures a user can fix themselves (mostly from `latch dev`/`latch server`). */
const SYSTEM_HINTS: Record<string, string> = {
  EADDRINUSE: 'Another process is using that port: stop it, or pick another with --port.',
  EACCES: 'Permission denied: pick a port above 1023 or a folder you can write to.',
  ENOSPC: 'The disk is full: free some space and try again.',
};

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The one place that turns anything thrown by a command into what the user reads and the exit
 * code scripts see. Server messages and hints are shown as the server wrote them (they are
 * written for users and never hold secrets).
 */
export function toFailure(thrown: unknown, ctx: FailureContext = {}): Failure {
  // The client wraps what the transport threw; a refused connection is the CLI's own message.
  const err = thrown instanceof ApiError && thrown.cause instanceof NetworkError ? thrown.cause : thrown;
  if (err instanceof CliError) {
    return { exitCode: err.exitCode, code: err.code, message: err.message, ...opt('hint', err.hint) };
  }
  if (err instanceof NotSignedInError) {
    return {
      exitCode: EXIT.auth,
      code: err.code,
      ...notSignedIn(err.apiUrl, ctx.storedLoginFor),
    };
  }
  if (err instanceof NetworkError) {
    const url = new URL(err.origin);
    const local = LOCAL_HOSTS.has(url.hostname);
    return {
      exitCode: EXIT.error,
      code: err.code,
      message: `Cannot reach ${err.origin}: is the server running?`,
      hint: local
        ? 'Start one with `latch dev`.'
        : `Check the URL (--api-url or LATCH_API_URL) and your network (${err.reason}).`,
    };
  }
  if (err instanceof ApiError) return fromApiError(err, ctx);
  // The server's AppError (from `latch dev`/`latch server`), matched by shape: the server bundles
  // its own copy of core, so instanceof would not see it.
  const e = err as { name?: unknown; code?: unknown; message?: unknown; hint?: unknown; syscall?: unknown };
  if (e && e.name === 'AppError' && typeof e.code === 'string' && typeof e.message === 'string') {
    const hint = typeof e.hint === 'string' ? e.hint : undefined;
    return { exitCode: EXIT.error, code: e.code, message: e.message, ...opt('hint', hint) };
  }
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string' && SYSTEM_HINTS[e.code]) {
    return { exitCode: EXIT.error, code: e.code, message: String(e.message), hint: SYSTEM_HINTS[e.code] };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    exitCode: EXIT.error,
    code: 'INTERNAL',
    message: `Unexpected error: ${message}`,
    hint: 'This is a bug in latch; set LATCH_DEBUG=1 for details and please report it.',
  };
}

function fromApiError(err: ApiError, ctx: FailureContext): Failure {
  const base = { code: err.code, ...opt('requestId', err.requestId) };
  if (err.httpStatus === 401) {
    const fromEnv = ctx.tokenSource === 'env';
    const whose = fromEnv ? 'The token in LATCH_TOKEN' : 'Your token';
    const next = fromEnv
      ? 'Set a valid LATCH_TOKEN, or unset it and run `latch login`.'
      : 'Run `latch login`.';
    if (err.code === 'TOKEN_EXPIRED') {
      const when = expiryFrom(err.details) ?? (fromEnv ? undefined : ctx.tokenExpiresAt);
      const message = when ? `${whose} expired on ${dateTime(when)}.` : `${whose} has expired.`;
      return { ...base, exitCode: EXIT.auth, message, hint: next };
    }
    return {
      ...base,
      exitCode: EXIT.auth,
      message: `${whose} was rejected (${trimDot(err.message)}).`,
      hint: next,
    };
  }
  const invalid = err.code === 'INVALID_INPUT' ? invalidFields(err.details) : undefined;
  if (invalid) return { ...base, exitCode: EXIT.error, ...invalid };
  const hint = err.hint ?? defaultHint(err);
  return { ...base, exitCode: EXIT.error, message: err.message, ...opt('hint', hint) };
}

/**
 * The server's validation issues (`details.issues`: `body.name`, `query.limit`, `body.scopes.0`)
 * in words: the field as the user knows it and the rule it broke. The server's own hint points at
 * `details`, which a person at a terminal never sees, so it is replaced.
 */
function invalidFields(details: unknown): { message: string; hint: string } | undefined {
  const issues = (details as { issues?: unknown } | null | undefined)?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return undefined;
  const lines = issues.flatMap((i: { path?: unknown; message?: unknown }) => {
    if (typeof i?.message !== 'string') return [];
    const path = typeof i.path === 'string' ? fieldName(i.path) : '';
    return [path ? `the ${path}: ${trimDot(i.message)}` : trimDot(i.message)];
  });
  if (lines.length === 0) return undefined;
  const hint = 'Change that value and run the command again.';
  if (lines.length === 1) return { message: `The server refused ${lines[0]}.`, hint };
  return {
    message: `The server refused ${lines.length} values:\n${lines.map((l) => `  - ${l}`).join('\n')}`,
    hint: 'Change those values and run the command again.',
  };
}

/** `body.name` → `name`, `query.limit` → `limit`, `body.scopes.0` → `scopes[0]`. */
function fieldName(path: string): string {
  return path
    .replace(/^(?:body|query|params|querystring|headers)\.?/, '')
    .replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

function defaultHint(err: ApiError): string | undefined {
  if (err.httpStatus === 429) {
    return err.retryAfterSeconds
      ? `Wait ${err.retryAfterSeconds} seconds and try again.`
      : 'Wait a moment and try again.';
  }
  if (err.httpStatus >= 500) {
    const id = err.requestId ? ` (request id ${err.requestId})` : '';
    return `The server failed${id}. Try again; if it keeps failing, check the server's logs.`;
  }
  if (err.httpStatus === 403) return 'Ask an owner or admin of the org for a role that allows this.';
  return undefined;
}

function notSignedIn(apiUrl: string, storedLoginFor: string | undefined): { message: string; hint: string } {
  if (storedLoginFor && storedLoginFor !== apiUrl) {
    return {
      message: `You are not signed in to ${apiUrl} (your stored login is for ${storedLoginFor}).`,
      hint: `Run \`latch login --api-url ${apiUrl}\` (or set LATCH_TOKEN).`,
    };
  }
  return { message: 'You are not signed in.', hint: 'Run `latch login` (or set LATCH_TOKEN).' };
}

function expiryFrom(details: unknown): string | undefined {
  const value = (details as { expiresAt?: unknown } | null | undefined)?.expiresAt;
  return typeof value === 'string' ? value : undefined;
}

function trimDot(s: string): string {
  return s.replace(/\.$/, '');
}

function opt<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** One line for people: the message, then what to do next. */
export function renderFailure(f: Failure): string {
  // A multi-line message (a code frame, a list of fields) gets its hint on a line of its own.
  const sep = f.message.includes('\n') ? '\n' : /[.!?:]$/.test(f.message) ? ' ' : '. ';
  return f.hint ? `${f.message}${sep}${f.hint}` : f.message;
}

/** With --json, the error object goes to stderr so stdout stays empty (and parseable) on failure. */
export function failureJson(f: Failure): string {
  const { exitCode: _exit, ...error } = f;
  return JSON.stringify({ error });
}
