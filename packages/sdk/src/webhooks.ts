import { createHmac, timingSafeEqual } from 'node:crypto';

/** What the checks need of a request: `RouteRequest` fits, so does any `{ rawBody, headers }`. */
export type WebhookRequest = {
  rawBody: Buffer | string;
  headers: Record<string, string | string[] | undefined>;
};

export type WebhookCheck =
  | { valid: true; timestamp?: number }
  | {
      valid: false;
      reason: 'missing_signature' | 'malformed_signature' | 'bad_signature' | 'timestamp_out_of_tolerance';
    };

export type ToleranceOptions = {
  /** How far the signed timestamp may be from now (seconds, default 300). */
  toleranceSeconds?: number;
  /** For tests: the current time in seconds. */
  now?: number;
};

const header = (req: WebhookRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Constant time for equal lengths; a length mismatch says nothing about the secret. */
function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const hmac = (key: string | Buffer, ...parts: (string | Buffer)[]) => {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
};

function withinTolerance(timestamp: number, opts: ToleranceOptions): boolean {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  return Math.abs(now - timestamp) <= (opts.toleranceSeconds ?? 300);
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function verifyGithubWebhook(req: WebhookRequest, secret: string): WebhookCheck {
  const sig = header(req, 'x-hub-signature-256');
  if (!sig) return { valid: false, reason: 'missing_signature' };
  const m = /^sha256=([0-9a-f]{64})$/i.exec(sig.trim());
  if (!m) return { valid: false, reason: 'malformed_signature' };
  return same(hmac(secret, req.rawBody), Buffer.from(m[1]!, 'hex'))
    ? { valid: true }
    : { valid: false, reason: 'bad_signature' };
}

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` over `<t>.<raw body>`. Any v1 may
 * match (Stripe sends several while a secret is being rolled); the timestamp must be recent, so a
 * captured request cannot be replayed later.
 */
export function verifyStripeWebhook(
  req: WebhookRequest,
  secret: string,
  opts: ToleranceOptions = {},
): WebhookCheck {
  const sig = header(req, 'stripe-signature');
  if (!sig) return { valid: false, reason: 'missing_signature' };
  let timestamp: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of sig.split(',')) {
    const [k, v] = part.split('=', 2).map((s) => s.trim());
    if (k === 't' && v && /^\d+$/.test(v)) timestamp = Number(v);
    else if (k === 'v1' && v && /^[0-9a-f]{64}$/i.test(v)) candidates.push(Buffer.from(v, 'hex'));
  }
  if (timestamp === undefined || candidates.length === 0)
    return { valid: false, reason: 'malformed_signature' };
  const expected = hmac(secret, `${timestamp}.`, req.rawBody);
  if (!candidates.some((c) => same(expected, c))) return { valid: false, reason: 'bad_signature' };
  if (!withinTolerance(timestamp, opts)) return { valid: false, reason: 'timestamp_out_of_tolerance' };
  return { valid: true, timestamp };
}

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64> [v1,<base64>…]` over `<id>.<timestamp>.<raw body>`, with a
 * `whsec_<base64>` secret.
 */
export function verifyStandardWebhook(
  req: WebhookRequest,
  secret: string,
  opts: ToleranceOptions = {},
): WebhookCheck {
  const id = header(req, 'webhook-id');
  const ts = header(req, 'webhook-timestamp');
  const sig = header(req, 'webhook-signature');
  if (!id || !ts || !sig) return { valid: false, reason: 'missing_signature' };
  if (!/^\d+$/.test(ts.trim())) return { valid: false, reason: 'malformed_signature' };
  const timestamp = Number(ts.trim());
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  const expected = hmac(key, `${id}.${timestamp}.`, req.rawBody);
  const candidates = sig
    .split(' ')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  if (candidates.length === 0) return { valid: false, reason: 'malformed_signature' };
  if (!candidates.some((c) => same(expected, c))) return { valid: false, reason: 'bad_signature' };
  if (!withinTolerance(timestamp, opts)) return { valid: false, reason: 'timestamp_out_of_tolerance' };
  return { valid: true, timestamp };
}
