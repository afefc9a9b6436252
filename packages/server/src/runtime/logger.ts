import { redactTokens } from '@latchkey/core';
import type { ServerMode } from '../config.js';

type Writable = { write(chunk: string): unknown };
type LoggedRequest = {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
};

// Query parameters that carry credentials in OAuth and setup links: their values never reach a log.
const SECRET_PARAM = /token|code|secret|password|verifier|key|state/i;

/**
 * Fastify `logger` options: one short human line per request in dev and whenever a person is
 * watching (stdout is a terminal); pino JSON lines otherwise, for log collectors.
 */
export function loggerOptions(
  mode: ServerMode,
  level = 'info',
  out: Writable = process.stdout,
  pretty = mode === 'dev' || Boolean((out as { isTTY?: boolean }).isTTY),
) {
  const options = {
    level,
    // Fastify's request serializer logs no headers today; this holds if a handler logs `req` whole.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    // Last, on the whole serialised line: a token anywhere in it (a message, an error, a field
    // some handler logs) is redacted, whatever put it there.
    hooks: { streamWrite: redactTokens },
    serializers: {
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactUrl(req.url ?? ''),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
  return pretty ? { ...options, stream: devLogStream(out) } : options;
}

/** A URL as logged: credential parameters emptied, also inside a nested `next=`, and no tokens. */
export function redactUrl(url: string): string {
  return redactTokens(redactQuery(url));
}

export function redactQuery(url: string, depth = 0): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) return pair;
      if (SECRET_PARAM.test(pair.slice(0, eq))) return `${pair.slice(0, eq)}=[redacted]`;
      return `${pair.slice(0, eq)}=${redactNested(pair.slice(eq + 1), depth)}`;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** A value that is itself a URL with a query (`next=%2Fdevice%3Fuser_code%3D...`). */
function redactNested(value: string, depth: number): string {
  if (depth > 2 || !/%3F|\?/i.test(value)) return value;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
  const redacted = redactQuery(decoded, depth + 1);
  return redacted === decoded ? value : encodeURIComponent(redacted);
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/**
 * Turns pino's JSON lines into `12:00:01 GET /api/v1/me 200 3ms`. Fastify logs a request's method
 * and URL on "incoming request" and its status on "request completed", so the first is held by
 * request id until the second arrives.
 */
function devLogStream(out: Writable): Writable {
  const pending = new Map<string, string>();
  return {
    write(line: string) {
      let entry: {
        level: number;
        time: number;
        msg?: string;
        reqId?: string;
        req?: { method?: string; url?: string };
        res?: { statusCode?: number };
        responseTime?: number;
        err?: { message?: string };
      };
      try {
        entry = JSON.parse(line);
      } catch {
        out.write(line);
        return;
      }
      const time = new Date(entry.time).toTimeString().slice(0, 8);
      if (entry.msg === 'incoming request' && entry.reqId) {
        pending.set(entry.reqId, `${entry.req?.method} ${entry.req?.url}`);
        // Aborted requests never complete; do not let their entries pile up.
        if (pending.size > 1000) pending.delete(pending.keys().next().value as string);
        return;
      }
      if (entry.msg === 'request completed' && entry.reqId) {
        const request = pending.get(entry.reqId) ?? '';
        pending.delete(entry.reqId);
        out.write(`${time} ${request} ${entry.res?.statusCode} ${Math.round(entry.responseTime ?? 0)}ms\n`);
        return;
      }
      const error = entry.err?.message && entry.err.message !== entry.msg ? `: ${entry.err.message}` : '';
      out.write(`${time} ${LEVELS[entry.level] ?? entry.level} ${entry.msg ?? ''}${error}\n`);
    },
  };
}
