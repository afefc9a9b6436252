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

// Keep-alive: a busy endpoint is one connection per worker slot rather than one per delivery.
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export function snippetOf(text: string): string {
  const cut = Buffer.from(text, 'utf8').subarray(0, SNIPPET_BYTES).toString('utf8');
  return redactTokens(cut.replace(/\uFFFD$/, ''));
}

/**
 * One POST. Success is a 2xx within 15 seconds; a 3xx is a failure (redirects are not followed:
 * they could lead anywhere, private addresses included).
 */
export async function deliver(
  target: { url: string; headers: Record<string, string>; body: string },
  policy: TargetPolicy,
  timeoutMs = DELIVERY_TIMEOUT_MS,
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
    url = new URL(target.url);
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
