import http from 'node:http';
import https from 'node:https';
import { redactTokens } from '@latchkey/core';
import { resolveTarget, type TargetPolicy } from './target.js';

export const DELIVERY_TIMEOUT_MS = 15_000;
/** What is kept of a receiver's answer (and of an error message). */
export const SNIPPET_BYTES = 1024;

export type DeliveryResult = {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
  /** The answer's beginning, token-shaped text redacted: stored, never logged. */
  snippet: string | null;
  retryAfter: string | undefined;
};

export type Agents = { http: http.Agent; https: https.Agent };

/**
 * The connections a worker delivers over. Keep-alive: a busy endpoint is a few reused connections
 * rather than a TCP (and TLS) handshake per delivery. At most `perHost` at once to one receiver
 * (the worker's concurrency: no attempt waits for a connection), idle ones kept up to 32 per host
 * and closed by Node before the receiver's own `Keep-Alive: timeout` ends them. A pooled
 * connection goes to an address that was checked when it was opened, and every delivery is
 * checked again before it is sent (resolveTarget), so reuse never reaches a refused target.
 */
export function deliveryAgents(perHost = 32): Agents {
  const options = {
    keepAlive: true,
    maxSockets: perHost,
    maxFreeSockets: Math.min(perHost, 32),
    maxTotalSockets: Math.max(perHost, 256),
    scheduling: 'lifo' as const,
  };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

export function snippetOf(text: string): string {
  if (text === '') return text;
  const cut = Buffer.from(text, 'utf8').subarray(0, SNIPPET_BYTES).toString('utf8');
  return redactTokens(cut.replace(/\uFFFD$/, ''));
}

// A URL is parsed once per worker process, not per delivery (most go to a few URLs); bounded.
const urls = new Map<string, URL>();
function parsed(raw: string): URL {
  let url = urls.get(raw);
  if (!url) {
    url = new URL(raw);
    if (urls.size >= 1024) urls.clear();
    urls.set(raw, url);
  }
  return url;
}

/**
 * One POST. Success is a 2xx within 15 seconds; a 3xx is a failure (redirects are not followed:
 * they could lead anywhere, private addresses included).
 */
export async function deliver(
  target: { url: string; headers: Record<string, string>; body: string },
  policy: TargetPolicy,
  timeoutMs: number,
  agents: Agents,
): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const fail = (error: string): DeliveryResult => ({
    ok: false,
    status: null,
    latencyMs: elapsed(),
    error: snippetOf(error),
    snippet: null,
    retryAfter: undefined,
  });
  let url: URL;
  let pinned: Awaited<ReturnType<typeof resolveTarget>>;
  try {
    url = parsed(target.url);
    // Checked at every delivery (a name is resolved again each time: no DNS answer is cached).
    pinned = await resolveTarget(url, policy);
  } catch (err) {
    return fail((err as Error).message);
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<DeliveryResult>((resolve) => {
    let settled = false;
    const done = (r: DeliveryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Latchkey-Webhooks/1',
          'content-length': Buffer.byteLength(target.body),
          ...target.headers,
        },
        // The checked address, not a second resolution; TLS still verifies the host name.
        lookup: (_host, opts, cb) => {
          if ((opts as { all?: boolean }).all) {
            (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
          } else cb(null, pinned.address, pinned.family);
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          done({
            ok,
            status,
            latencyMs: elapsed(),
            error: ok ? null : `HTTP ${status}`,
            snippet: snippetOf(Buffer.concat(chunks).toString('utf8')),
            retryAfter: res.headers['retry-after'],
          });
        });
        res.on('error', (err) => done(fail(err.message)));
      },
    );
    const timer = setTimeout(() => {
      done(fail(`no answer within ${timeoutMs / 1000} s`));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => done(fail(err.message)));
    req.end(target.body);
  });
}
