import { AppError, type Manifest, type ManifestInput, type VerifyResult } from '@latchkey/core';
import { checkApiKey, checkSession, NO_AUTH } from './auth.js';
import { type CompiledRoute, compileRoutes } from './compile.js';
import { createRateLimitStore, type RateLimitStore, rateLimitHeaders } from './rate-limit.js';
import { errorBody } from './responses.js';
import { createSessionCheck, type SessionInput } from './session.js';
import { checkSignature, secretLookup } from './signature.js';
import type {
  AuthInfo,
  IncomingRequest,
  MountOptions,
  OutgoingResponse,
  RouteRequest,
  RouteResponse,
} from './types.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export type Engine = {
  manifest: Manifest;
  routes: CompiledRoute[];
  bodyLimit: number;
  handle(route: CompiledRoute, req: IncomingRequest): Promise<OutgoingResponse>;
  close(): Promise<void>;
};

const JSON_TYPE = 'application/json; charset=utf-8';

/** Node joins repeated request headers itself, except set-cookie; only then is a copy needed. */
function flatHeaders(headers: IncomingRequest['headers']): Record<string, string | undefined> {
  if (headers['set-cookie'] === undefined) return headers as Record<string, string | undefined>;
  const out: Record<string, string | undefined> = {};
  for (const name in headers) {
    const v = headers[name];
    out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Serialises a handler's answer: JSON unless it is text or bytes. */
export function serialize(res: RouteResponse, extra?: Record<string, string>): OutgoingResponse {
  const headers: Record<string, string> = { ...extra };
  if (res.headers) for (const k in res.headers) headers[k.toLowerCase()] = res.headers[k]!;
  let body: string | Uint8Array | null = null;
  if (res.body === undefined || res.body === null || res.status === 204 || res.status === 304) body = null;
  else if (typeof res.body === 'string') {
    body = res.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (res.body instanceof Uint8Array) {
    body = res.body;
    headers['content-type'] ??= 'application/octet-stream';
  } else {
    body = JSON.stringify(res.body);
    headers['content-type'] ??= JSON_TYPE;
  }
  return { status: res.status, headers, body };
}

const isJson = (type: string | undefined) => !!type && /^application\/(?:[\w.+-]+\+)?json\b/i.test(type);

/** Reads the body per its content type; malformed JSON is answered before any handler runs. */
const NO_BODY = { ok: true, value: undefined } as const;

function parseBody(raw: Buffer, type: string | undefined): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return NO_BODY;
  const text = raw.toString('utf8');
  if (isJson(type)) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      return { ok: false };
    }
  }
  if (type?.startsWith('application/x-www-form-urlencoded')) {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(text)) };
  }
  return { ok: true, value: text };
}

/**
 * The framework-neutral request pipeline every adapter calls once it matched a route: auth,
 * rate limit, body, handler, usage. It never throws: every failure is an HTTP answer with the
 * shared error body, and handler crashes answer 500 without details.
 */
export function createEngine(manifestInput: ManifestInput | Manifest, opts: MountOptions): Engine {
  const { manifest, routes } = compileRoutes(manifestInput, opts);
  const realm = manifest.project;
  const verifier = opts.verifier;
  const session = opts.session ? createSessionCheck(opts.session) : null;
  const lookup = opts.secrets ? secretLookup(opts.secrets) : () => undefined;
  const limited = routes.some((r) => r.rateLimit);
  let store: Promise<RateLimitStore> | null = null;
  const getStore = () => {
    store ??= createRateLimitStore(opts.rateLimit, opts.clock);
    return store;
  };
  if (limited && opts.rateLimit?.redis) void getStore().catch(() => {}); // connect early; errors surface per request

  async function run(route: CompiledRoute, req: IncomingRequest, started: number): Promise<OutgoingResponse> {
    const headers = flatHeaders(req.headers);
    let auth: AuthInfo = NO_AUTH;
    let keyId: string | null = null;
    let outcome: string = 'VALID';
    let answer: VerifyResult | null = null;
    const report = () => {
      if (keyId === null || !verifier) return;
      const latencyMs = performance.now() - started;
      if (answer !== null && outcome === answer.code) verifier.recordAnswer(answer, route.label, latencyMs);
      else verifier.recordUsage({ keyId, route: route.label, outcome, latencyMs });
    };

    // Per key on apiKey routes (after verification: the key is the budget's owner); per client
    // address on session and none routes, before any session check, so guessing is limited too.
    let limitHeaders: Record<string, string> | undefined;
    const limit = async (who: string): Promise<OutgoingResponse | null> => {
      if (!route.rateLimit) return null;
      try {
        const decision = await (await getStore()).consume(`${route.bucket}|${who}`, route.rateLimit);
        limitHeaders = rateLimitHeaders(decision, route.rateLimit);
        if (decision.allowed) return null;
        outcome = 'RATE_LIMITED';
        report();
        const seconds = Number(limitHeaders['retry-after']);
        return serialize(
          {
            status: 429,
            body: errorBody(
              'RATE_LIMITED',
              `Too many requests. Try again in ${seconds} s.`,
              'Slow down; the limit resets on its own.',
            ),
          },
          limitHeaders,
        );
      } catch (err) {
        // A broken limiter store must not take the API down with it.
        opts.onError?.(err, { method: req.method, path: req.path });
        return null;
      }
    };

    if (route.scope === null && route.rateLimit) {
      const refused = await limit(`ip:${req.ip}`);
      if (refused) return refused;
    }
    if (route.scope !== null) {
      const pending = checkApiKey(verifier!, headers, realm, route.scope);
      const checked = pending instanceof Promise ? await pending : pending;
      answer = checked.result;
      keyId = checked.result?.keyId ?? null;
      if (!checked.ok) {
        outcome = checked.result?.code ?? 'REFUSED';
        report();
        return serialize(checked.response);
      }
      auth = checked.auth;
    } else if (route.auth === 'session') {
      const input: SessionInput = { headers, method: req.method, path: req.path, ip: req.ip };
      const checked = await checkSession(session!, input, realm);
      if (!checked.ok) return serialize(checked.response);
      auth = checked.auth;
    }

    if (auth.kind === 'apiKey' && route.rateLimit) {
      const refused = await limit(`key:${auth.keyId}`);
      if (refused) return refused;
    }
    if (route.verify) {
      const refused = checkSignature(route.verify, { rawBody: req.rawBody, headers }, lookup);
      if (refused) {
        if (refused.missingSecret) {
          const problem = `secret ${refused.missingSecret} (for ${route.label}'s webhook signature) is not among the app's secrets`;
          opts.onError?.(new Error(problem), { method: req.method, path: req.path });
        }
        return serialize(refused.response, limitHeaders);
      }
    }

    const parsed = parseBody(req.rawBody, headers['content-type']);
    if (!parsed.ok) {
      report();
      return serialize(
        {
          status: 400,
          body: errorBody('INVALID_JSON', 'The body is not valid JSON.', 'Check the JSON syntax.'),
        },
        limitHeaders,
      );
    }
    const request: RouteRequest = {
      method: req.method,
      path: req.path,
      params: req.params,
      query: req.query,
      headers,
      rawBody: req.rawBody,
      body: <T>() => parsed.value as T,
      auth,
      ip: req.ip,
      route: route.info,
    };
    let res: RouteResponse;
    try {
      res = await route.fn(request);
      if (!res || typeof res.status !== 'number')
        throw new Error(`handler ${route.handler} returned no response (use ok(), created(), …)`);
    } catch (err) {
      if (err instanceof AppError) res = { status: err.status, body: err.toBody() };
      else {
        opts.onError?.(err, { method: req.method, path: req.path });
        res = {
          status: 500,
          body: errorBody(
            'INTERNAL',
            'Something went wrong.',
            'Try again; if it persists, contact the API owner.',
          ),
        };
      }
    }
    report();
    return serialize(res, limitHeaders);
  }

  return {
    manifest,
    routes,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    handle: (route, req) => run(route, req, performance.now()),
    async close() {
      if (store) await (await store).close?.();
    },
  };
}
