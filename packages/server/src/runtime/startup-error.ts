/**
 * A start-up failure the operator can fix: main prints only its message (no stack trace) and exits 1.
 * Messages say what is wrong and what to do, and never contain a password or a key.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** host:port of a PostgreSQL URL, for messages: never the URL itself, which may hold a password. */
export function describeDatabaseTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || 5432}`;
  } catch {
    return 'the server in DATABASE_URL';
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

/** Turns a connect or migrate failure into a StartupError that names the server without its password. */
export function databaseStartupError(err: unknown, url: string, source: string): StartupError {
  const e = err as Error & { code?: string };
  const target = describeDatabaseTarget(url);
  let database = '';
  try {
    database = decodeURIComponent(new URL(url).pathname.slice(1));
  } catch {}
  if (e.code && UNREACHABLE.has(e.code)) {
    return new StartupError(
      `Cannot reach PostgreSQL at ${target} (${e.code}). Is it running, and is ${source} right?`,
    );
  }
  if (/timeout/i.test(e.message)) {
    return new StartupError(
      `PostgreSQL at ${target} did not answer in time. Is it running, and is ${source} right?`,
    );
  }
  if (e.code === '28P01' || e.code === '28000') {
    return new StartupError(
      `PostgreSQL at ${target} refused to sign in: ${e.message}. Check the user and password in ${source}.`,
    );
  }
  if (e.code === '3D000') {
    return new StartupError(
      `Database "${database}" does not exist on ${target}. Create it (createdb -h ${target.replace(/:\d+$/, '')} ${database}) or fix ${source}.`,
    );
  }
  if (e.code === '57P03') {
    return new StartupError(
      `PostgreSQL at ${target} is starting up or shutting down; try again in a moment.`,
    );
  }
  if (e.message.startsWith('migration ')) {
    return new StartupError(`Could not update the database schema on ${target}: ${e.message}`);
  }
  return new StartupError(`PostgreSQL at ${target}: ${e.message}`);
}

/** Explains why app.listen() failed. */
export function listenStartupError(err: unknown, host: string, port: number): StartupError | null {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new StartupError(`Port ${port} is in use: is another Latchkey running? Use --port.`);
  if (code === 'EACCES') {
    return new StartupError(
      `Not allowed to listen on port ${port}. Use a port above 1023 (--port), or run behind a proxy.`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new StartupError(
      `Cannot listen on ${host}: no such address on this machine. Use --host (e.g. 127.0.0.1 or 0.0.0.0).`,
    );
  }
  return null;
}
