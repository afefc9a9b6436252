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
    serializers: {
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: redactQuery(req.url ?? ''),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
  return pretty ? { ...options, stream: devLogStream(out) } : options;
}

export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq > 0 && SECRET_PARAM.test(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
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
