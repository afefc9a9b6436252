import { ApiError, endpoints, LOG_EVENT_TYPES, type LogEvent, parseDuration } from '@latchkey/core';
import { defineCommand, type OptionsOf } from '../../lib/command.js';
import { createFrameParser, openStream } from '../../lib/event-stream.js';
import { CliError, EXIT, usageError } from '../../lib/exit.js';
import type { Io } from '../../lib/io.js';
import { PROJECT_OPTION } from '../../lib/options.js';
import { secretsTarget } from '../../lib/secrets.js';
import { formatEvent } from './format.js';

export const spec = defineCommand({
  options: {
    env: { flags: '--env <name>', description: 'environment (default: the only one)' },
    tail: { flags: '--tail', description: 'print the last 20 events, then follow live until Ctrl-C' },
    since: {
      flags: '--since <when>',
      description: 'from a duration ago (1h, 30m, 2d) or an ISO time (default 1h)',
    },
    until: { flags: '--until <when>', description: 'up to a duration ago or an ISO time' },
    type: {
      flags: '--type <types>',
      description: `comma-separated: ${LOG_EVENT_TYPES.join(', ')} (delivery: attempts of the environment's effects and webhooks)`,
    },
    key: { flags: '--key <id>', description: 'only this API key (its verifications and audit events)' },
    project: PROJECT_OPTION,
  },
});

type Opts = OptionsOf<typeof spec> & { cwd?: string };

/** `1h` ago or an ISO time, as ISO; a usage error otherwise. */
export function parseWhen(flag: string, text: string, now = Date.now()): string {
  const ms = parseDuration(text);
  if (ms !== null && /[smhdw]$/i.test(text.trim())) return new Date(now - ms).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    throw usageError(
      `${flag} "${text}" is neither a duration nor a time.`,
      'Use e.g. 1h, 30m, 2d or 2026-12-01T10:00:00Z.',
    );
  }
  return new Date(t).toISOString();
}

function parseTypes(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const types = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = types.filter((t) => !(LOG_EVENT_TYPES as readonly string[]).includes(t));
  if (bad.length > 0 || types.length === 0) {
    throw usageError(
      `--type: unknown type ${bad.join(', ') || '(none)'}.`,
      `Use any of ${LOG_EVENT_TYPES.join(', ')}.`,
    );
  }
  return types.join(',');
}

export async function run(opts: Opts, io: Io): Promise<void> {
  const type = parseTypes(opts.type);
  if (opts.tail && (opts.since || opts.until)) {
    throw usageError(
      '--tail follows from the last 20 events: it takes no --since or --until.',
      'Drop one of them.',
    );
  }
  const since = opts.since ? parseWhen('--since', opts.since) : undefined;
  const until = opts.until ? parseWhen('--until', opts.until) : undefined;
  const target = await secretsTarget(io, opts);
  const params = { org: target.sel.org.ref, project: target.sel.project, env: target.env };
  const filter = { ...(type ? { type } : {}), ...(opts.key ? { key: opts.key.trim() } : {}) };
  const print = (e: LogEvent) =>
    io.stdout.write(io.json ? `${JSON.stringify(e)}\n` : `${formatEvent(e, io.out)}\n`);

  if (!opts.tail) {
    const events = await io.api.all(endpoints.logs.list, {
      params,
      query: { ...filter, ...(since ? { since } : {}), ...(until ? { until } : {}) },
    });
    // Pages come in the order the server recorded events; usage reports arrive a few seconds
    // after the verifications they carry, so the window is shown by time.
    const sorted = events
      .map((e, i) => [e, i] as const)
      .sort((a, b) => a[0].at.localeCompare(b[0].at) || a[1] - b[1]);
    for (const [e] of sorted) print(e);
    if (events.length === 0 && !io.json) io.note(`No events in ${target.where} in that window.`);
    return;
  }
  // The permission and the environment are checked with a plain call first: its errors carry the
  // server's code and hint, as every other command's do.
  await io.api.call(endpoints.logs.list, { params, query: { ...filter, limit: 1 } });
  await follow(io, io.api.url(endpoints.logs.stream, { params, query: filter }), print, target.where);
}

/**
 * Follows the stream until Ctrl-C, resuming after a dropped connection or a server restart from
 * the last event id seen (the server's ids are database positions), so nothing is lost or shown
 * twice.
 */
async function follow(io: Io, url: string, print: (e: LogEvent) => void, where: string): Promise<void> {
  let lastId: string | undefined;
  let stop = false;
  let abort: () => void = () => {};
  let wake: () => void = () => {};
  const off = io.onSignal('SIGINT', () => {
    stop = true;
    abort();
    wake();
  });
  let failures = 0;
  try {
    while (!stop) {
      const headers: Record<string, string> = { authorization: `Bearer ${io.context.token ?? ''}` };
      if (lastId) headers['last-event-id'] = lastId;
      let opened: Awaited<ReturnType<typeof openStream>> | null = null;
      try {
        opened = await openStream(url, headers, (a) => {
          abort = a;
        });
      } catch {
        opened = null;
      }
      if (opened && opened.status !== 200 && opened.status < 500)
        throw streamError(opened.status, opened.body);
      if (opened?.res) {
        if (failures > 0) io.note(`Reconnected to ${where}.`);
        failures = 0;
        const res = opened.res;
        const parse = createFrameParser((f) => {
          if (f.id) lastId = f.id;
          if (f.event === 'log') print(JSON.parse(f.data) as LogEvent);
        });
        await new Promise<void>((resolve) => {
          res.on('data', parse);
          res.on('end', resolve);
          res.on('error', () => resolve());
          res.on('close', resolve);
        });
      }
      if (stop) break;
      failures++;
      if (failures === 1) io.note('The connection to the server was lost; reconnecting…');
      await new Promise<void>((resolve) => {
        wake = resolve;
        // Not unref'd: while the server is away this timer is all that keeps the CLI running.
        setTimeout(resolve, Math.min(5000, 250 * 2 ** Math.min(failures, 5)));
      });
    }
  } finally {
    off();
  }
}

function streamError(status: number, body: string | null): Error {
  let parsed: { error?: { code?: string; message?: string; hint?: string } } = {};
  try {
    parsed = JSON.parse(body ?? '{}');
  } catch {}
  const e = parsed.error ?? {};
  if (e.code && e.message)
    return new ApiError(e.code as never, e.message, {
      httpStatus: status,
      ...(e.hint ? { hint: e.hint } : {}),
    });
  return new CliError(`The server answered ${status} to the log stream.`, {
    exitCode: status === 401 ? EXIT.auth : EXIT.error,
  });
}
