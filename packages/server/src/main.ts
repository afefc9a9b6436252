import type { ServerMode } from './config.js';
import { Resources } from './runtime/resources.js';
import { DEFAULT_HOST, DEFAULT_PORT, localUrl, type RunOptions, readSettings } from './runtime/settings.js';
import { type RunningLatchkey, startLatchkey } from './runtime/start.js';
import { StartupError } from './runtime/startup-error.js';

export { type RotateOptions, rotateMasterKeyCommand } from './runtime/rotate-master-key.js';
export type { RunOptions } from './runtime/settings.js';
export { readSettings } from './runtime/settings.js';
export { type RunningLatchkey, startLatchkey } from './runtime/start.js';
export { StartupError } from './runtime/startup-error.js';

/**
 * `latch dev`: embedded PostgreSQL and a generated master key in the data folder (.latch/dev).
 * Resolves once the server listens; the process then serves until SIGINT/SIGTERM, stops gracefully
 * and exits 0. If it cannot start it prints why and exits 1.
 */
export function runDev(opts: RunOptions = {}): Promise<void> {
  return run('dev', opts);
}

/** `latch server`: LATCH_MASTER_KEY and LATCH_AUDIT_SIGNING_KEY required; DATABASE_URL or the embedded PostgreSQL in .latch/data. */
export function runServer(opts: RunOptions = {}): Promise<void> {
  return run('production', opts);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function run(mode: ServerMode, opts: RunOptions): Promise<void> {
  const say = (text: string) => process.stderr.write(`${text}\n`);
  const resources = new Resources((name, err) =>
    say(`While stopping the ${name}: ${(err as Error).message}`),
  );
  const abort = new AbortController();
  let starting: Promise<unknown> = Promise.resolve();
  let stopping = false;
  const stopAndExit = (code: number) => {
    stopping = true;
    abort.abort();
    // A start-up step in progress (initdb, migrations) finishes first; then everything is released.
    void starting
      .catch(() => {})
      .then(() => resources.releaseAll())
      .then(() => process.exit(code));
  };

  // Installed before anything starts, so Ctrl-C during start-up (initdb, migrations) also cleans up.
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // npm and tsx forward the terminal's SIGINT that we also receive directly: one Ctrl-C can
      // arrive twice within milliseconds. Only a later one is the user insisting.
      if (Date.now() - firstSignalAt < 1000) return;
      say(`${signal} again: exiting without waiting.`);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    say(`${signal}: stopping (finishing requests in flight; ${signal} again forces exit)…`);
    stopAndExit(0);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);

  let running: RunningLatchkey;
  try {
    const settings = readSettings(mode, opts, process.env);
    const log = process.env.LATCH_DEBUG ? (line: string) => say(`[postgres] ${line}`) : undefined;
    const started = startLatchkey(settings, { resources, log, signal: abort.signal });
    starting = started;
    running = await started;
  } catch (err) {
    if (stopping) return; // a signal interrupted start-up; its handler exits
    await resources.releaseAll();
    say(err instanceof StartupError ? err.message : `Latchkey could not start: ${(err as Error).message}`);
    if (process.env.LATCH_DEBUG && !(err instanceof StartupError)) say(String((err as Error).stack));
    process.exit(1);
  }

  say(banner(mode, running));
  void running.embeddedExit?.then(({ code, signal }) => {
    if (stopping) return;
    say(
      `The embedded PostgreSQL stopped unexpectedly (${signal ?? `exit code ${code}`}); stopping Latchkey.`,
    );
    stopAndExit(1);
  });
}

function banner(mode: ServerMode, r: RunningLatchkey): string {
  const lines =
    mode === 'dev'
      ? [
          '',
          `  Latchkey dev server: ${r.url}`,
          `  Data:     ${r.databaseLabel}`,
          `  Sign in:  latch login${r.url === localUrl(DEFAULT_HOST, DEFAULT_PORT) ? '' : ` --api-url ${r.url}`}`,
          '  Stop:     Ctrl-C',
          '',
        ]
      : [
          `Latchkey server listening on ${r.listenUrl}${r.url === r.listenUrl ? '' : ` (public URL ${r.url})`}`,
          `Database: ${r.databaseLabel}`,
        ];
  if (r.setupLink) {
    lines.push(
      'No users yet. Create the first owner with this one-time link (valid 24 hours):',
      `  ${r.setupLink}`,
    );
  }
  return lines.join('\n');
}
