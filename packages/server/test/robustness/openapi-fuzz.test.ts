import { ErrorCodes } from '@latchkey/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { capturedLogger } from '../helpers/logs.js';
import { deepJson, hostileCursor, hostileNumber, hostileString, valid, wrongType } from './arbitraries.js';
import { allowsType, fetchOpenApi, type Operation, operations } from './openapi.js';
import { type Seed, seed } from './seed.js';

/**
 * A robustness run generated from the served OpenAPI document: valid requests (seeded ids, values
 * from each operation's schemas) and invalid ones (wrong types, missing and unknown fields, huge
 * strings, NUL, lone surrogates, deep JSON, wrong methods and content types, out-of-range numbers
 * and cursors), as real principals. Pass: no 5xx, every 4xx in the error shape with a code and a
 * hint, and no error answer or log line with a token or a secret value. Credentials are also
 * pasted into body fields and query values (where a name goes): errors and logs must redact them.
 * Secret values are only ever stored, so finding one in an error or a log line is a leak. `npm test` sends 2,000 requests; CI sends 20,000 (.ci/run); LATCH_FUZZ_REQUESTS and
 * LATCH_FUZZ_SEED change the count and the seed.
 */
const REQUESTS = Number(process.env.LATCH_FUZZ_REQUESTS ?? 2_000);
const SEED = Number(process.env.LATCH_FUZZ_SEED ?? 20_261_206);

const logs = capturedLogger();
const t = useTestApp(
  {
    rateLimits: {
      perIp: { points: 10_000_000, durationSeconds: 60 },
      perCredential: { points: 10_000_000, durationSeconds: 60 },
    } as never,
  },
  { logger: logs.logger },
);

type Principal = { name: string; token: string | null };
type FuzzRequest = {
  op: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
};

/** encodeURIComponent, except that a lone surrogate (which it refuses) goes out as invalid UTF-8. */
function encodeAny(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value].map((ch) => (/\p{Cs}/u.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch))).join('');
  }
}

/** A body sent as this text, as it is. */
class RawJson {
  constructor(readonly text: string) {}
}

/** A form field's text for any value (some generated objects have no prototype, so no toString). */
const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

type Leaf = { path: (string | number)[]; value: unknown };
function leaves(value: unknown, path: (string | number)[] = []): Leaf[] {
  if (Array.isArray(value)) return [{ path, value }, ...value.flatMap((v, i) => leaves(v, [...path, i]))];
  if (value && typeof value === 'object') {
    return [{ path, value }, ...Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]))];
  }
  return [{ path, value }];
}

function setAt(body: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(body)) {
    const copy = [...body];
    if (remove && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = setAt(copy[head as number], rest, value, remove);
    return copy;
  }
  const copy = { ...(body as Record<string, unknown>) };
  if (remove && rest.length === 0) delete copy[head as string];
  else copy[head as string] = setAt(copy[head as string], rest, value, remove);
  return copy;
}

/** The body as it is, or with one mutation. */
function mutateBody(body: unknown, tokens: string[]): fc.Arbitrary<unknown> {
  const all = leaves(body);
  const pick = (filter: (l: Leaf) => boolean) => {
    const some = all.filter(filter);
    return some.length ? fc.constantFrom(...some) : fc.constant(all[0]!);
  };
  const nonRoot = (l: Leaf) => l.path.length > 0;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(body) },
    { weight: 2, arbitrary: fc.tuple(pick(nonRoot), wrongType).map(([l, v]) => setAt(body, l.path, v)) },
    { weight: 2, arbitrary: pick(nonRoot).map((l) => setAt(body, l.path, undefined, true)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          pick((l) => !!l.value && typeof l.value === 'object'),
          fc.string({ maxLength: 20 }),
          fc.jsonValue(),
        )
        .map(([l, k, v]) => setAt(body, [...l.path, k], v)),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          pick((l) => typeof l.value === 'string'),
          hostileString,
        )
        .map(([l, v]) => setAt(body, l.path, typeof l.value === 'string' ? `${l.value}${v}` : v)),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          pick((l) => typeof l.value === 'number'),
          hostileNumber,
        )
        .map(([l, v]) => setAt(body, l.path, v)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          pick(nonRoot),
          fc.integer({ min: 100, max: 3_000 }),
          fc.constantFrom('array', 'object' as const),
        )
        .map(([l, d, k]) => setAt(body, l.path, deepJson(d, k as 'array' | 'object'))),
    },
    // A credential pasted where a name or a value goes: no error or log line may repeat it.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          pick((l) => typeof l.value === 'string'),
          fc.constantFrom(...tokens),
        )
        .map(([l, token]) => setAt(body, l.path, token)),
    },
    { weight: 1, arbitrary: wrongType },
    // Deeper than JSON.stringify can go here: written as text, whole or as one field's value.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(['[', ']'], ['{"a":', '}']), fc.constantFrom('whole', 'field'))
        .map(([[open, close], where]) => {
          const deep = `${open!.repeat(100_000)}1${close!.repeat(100_000)}`;
          return new RawJson(where === 'whole' ? deep : `{"project":"sweep","name":${deep}}`);
        }),
    },
  );
}

function requestArbitrary(ops: Operation[], s: Seed, principals: Principal[], tokens: string[]) {
  const routeOf = (op: Operation) => ({ method: op.method, url: op.url });
  const badSegment = fc.oneof(
    hostileString.map(encodeAny),
    fc.constantFrom('%ED%A0%80', '%', '%zz', '..', '%2F', 'x'.repeat(300), '%C0%AE'),
  );
  return fc.constantFrom(...ops).chain((op) => {
    const seeded = s.params(routeOf(op));
    const path = fc.record(
      Object.fromEntries(
        Object.entries(seeded).map(([name, value]) => {
          const schema = op.parameters.find((p) => p.in === 'path' && p.name === name)?.schema;
          return [
            name,
            fc.oneof(
              { weight: 12, arbitrary: fc.constant(encodeURIComponent(value)) },
              { weight: 1, arbitrary: valid(schema).map((v) => encodeAny(String(v))) },
              { weight: 1, arbitrary: badSegment },
            ),
          ];
        }),
      ),
    );
    const queryParts = op.parameters
      .filter((p) => p.in === 'query')
      .map((p) => {
        const seededValue = s.requiredQuery[p.name];
        const good = seededValue !== undefined ? fc.constant(seededValue) : valid(p.schema).map(String);
        const bad = fc.oneof(
          hostileString,
          allowsType(p.schema, 'integer') ? hostileNumber.map(String) : hostileString,
          p.name === 'cursor' ? hostileCursor : hostileString,
          fc.constantFrom(...tokens),
        );
        const value = fc.oneof({ weight: 6, arbitrary: good }, { weight: 2, arbitrary: bad });
        const part = value.map((v) => `${p.name}=${encodeAny(String(v))}`);
        return p.required
          ? fc.oneof({ weight: 8, arbitrary: part }, { weight: 1, arbitrary: fc.constant('') })
          : fc.option(part, { nil: '', freq: 2 });
      });
    const extraQuery = fc.oneof(
      { weight: 10, arbitrary: fc.constant('') },
      { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((k) => `${encodeAny(k)}=1`) },
      { weight: 1, arbitrary: fc.constantFrom('limit=1&limit=2', 'cursor=%ED%A0%80', '%00=%00', 'a[b]=c') },
    );
    const body = op.body
      ? fc
          .oneof(
            { weight: 3, arbitrary: fc.constant(s.body(routeOf(op)) ?? {}) },
            { weight: 2, arbitrary: valid(op.body) },
          )
          .chain((b) => mutateBody(b, tokens))
      : fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined, freq: 8 });
    const method = fc.oneof(
      { weight: 15, arbitrary: fc.constant(op.method) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') },
    );
    const encoding = fc.oneof(
      { weight: 14, arbitrary: fc.constant('json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'text/plain',
          'form',
          'broken-json',
          'no-type',
          'empty-json',
          'json-utf16',
          'xml',
        ),
      },
    );
    const auth = fc.constantFrom(...principals);
    return fc
      .record({ path, query: fc.tuple(...queryParts, extraQuery), body, method, encoding, auth })
      .map(({ path, query, body, method, encoding, auth }): FuzzRequest => {
        const q = query.filter(Boolean).join('&');
        const url = op.url.replace(/:([A-Za-z]+)/g, (_m, n: string) => path[n]!) + (q ? `?${q}` : '');
        const headers: Record<string, string> = auth.token ? { authorization: `Bearer ${auth.token}` } : {};
        const req: FuzzRequest = { op: `${op.method} ${op.url} as ${auth.name}`, method, url, headers };
        if (body === undefined) return req;
        const json = body instanceof RawJson ? body.text : (JSON.stringify(body) ?? 'null');
        if (encoding === 'json' || encoding === 'json-utf16') {
          headers['content-type'] =
            encoding === 'json' ? 'application/json' : 'application/json; charset=utf-16';
          req.payload = json;
        } else if (encoding === 'form') {
          headers['content-type'] = 'application/x-www-form-urlencoded';
          const flat = body && typeof body === 'object' ? Object.entries(body as object) : [['v', body]];
          req.payload = flat.map(([k, v]) => `${encodeAny(String(k))}=${encodeAny(asText(v))}`).join('&');
        } else if (encoding === 'broken-json') {
          headers['content-type'] = 'application/json';
          req.payload = json.slice(0, Math.max(1, json.length - 1));
        } else if (encoding === 'empty-json') {
          headers['content-type'] = 'application/json';
          req.payload = '';
        } else if (encoding === 'xml') {
          headers['content-type'] = 'application/xml';
          req.payload = '<a/>';
        } else if (encoding === 'text/plain') {
          headers['content-type'] = 'text/plain';
          req.payload = json;
        } else {
          req.payload = json;
        }
        return req;
      });
  });
}

/** Reads an answer; a server-sent event stream that opened is read up to its first event, then closed. */
async function send(r: FuzzRequest) {
  const res = await t.app.inject({
    method: r.method as 'GET',
    url: r.url,
    headers: r.headers,
    ...(r.payload === undefined ? {} : { payload: r.payload }),
    payloadAsStream: true,
  });
  const stream = res.stream();
  const chunks: Buffer[] = [];
  const streaming = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => {
      chunks.push(c);
      if (streaming) {
        stream.destroy();
        resolve();
      }
    });
    stream.on('end', resolve);
    stream.on('error', (err: Error & { code?: string }) =>
      err.code === 'LIGHT_ECONNRESET' || streaming ? resolve() : reject(err),
    );
  });
  return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), streaming };
}

describe('a robustness run generated from the OpenAPI document', () => {
  let s: Seed;
  let ops: Operation[];
  let principals: Principal[];
  let secrets: string[];

  beforeAll(async () => {
    s = await seed(t);
    ops = operations(await fetchOpenApi(t));
    const scoped = await t.app.inject({
      method: 'POST',
      url: '/api/v1/pats',
      headers: t.auth(s.owner.token),
      payload: {
        name: 'fuzz scoped',
        scopes: ['projects:read', 'secrets:read', 'api_keys:write'],
        expiresIn: '1d',
      },
    });
    expect(scoped.statusCode).toBe(201);
    const [, , apiKeyToken, platformKeyToken, saKeyToken] = s.tokens;
    principals = [
      ...Array.from({ length: 6 }, () => ({ name: 'owner PAT', token: s.owner.token })),
      { name: 'scoped PAT', token: scoped.json().token },
      { name: 'platform key', token: platformKeyToken! },
      { name: 'service-account key', token: saKeyToken! },
      { name: 'viewer PAT', token: s.tokens[1]! },
      { name: 'app API key', token: apiKeyToken! },
      { name: 'nobody', token: null },
      { name: 'garbage', token: 'lk_pat_garbage' },
    ];
    secrets = [...s.tokens, scoped.json().token, s.secretValue];
  });

  it(`sends ${REQUESTS} requests over every route: no 5xx, the error shape on every 4xx, no token or secret echoed`, async () => {
    expect(ops.length).toBeGreaterThan(40);
    const arb = requestArbitrary(ops, s, principals, secrets.slice(0, -1));
    const failures: string[] = [];
    let generating = 0;
    let slowest = { ms: 0, what: '' };
    const issued = new Set<string>();
    const byStatus = new Map<number, number>();
    const reached = new Set<string>();
    const started = performance.now();
    let sent = 0;
    const batch = 250;
    for (let i = 0; sent < REQUESTS; i++) {
      const g0 = performance.now();
      const requests = fc.sample(arb, { numRuns: Math.min(batch, REQUESTS - sent), seed: SEED + i });
      generating += performance.now() - g0;
      for (const r of requests) {
        sent++;
        let res: Awaited<ReturnType<typeof send>>;
        const r0 = performance.now();
        try {
          res = await send(r);
          const ms = performance.now() - r0;
          if (ms > slowest.ms)
            slowest = { ms, what: `${r.op} ${r.method} ${r.url.slice(0, 100)} ${(r.payload ?? '').length}` };
        } catch (err) {
          failures.push(`${r.op}: ${r.method} ${r.url.slice(0, 200)} threw ${(err as Error).message}`);
          continue;
        }
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        if (res.status < 400) reached.add(r.op.split(' as ')[0]!);
        const problem = check(res, secrets);
        if (problem) {
          failures.push(
            `${r.op}: ${r.method} ${r.url.slice(0, 200)} ${(r.payload ?? '').slice(0, 200)} → ${res.status} ${problem}`,
          );
        }
        if (res.status < 300 && !res.streaming) {
          for (const m of res.body.matchAll(/"token":"([^"]+)"/g)) issued.add(m[1]!);
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.info(
      `robustness run: ${sent} requests in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s); ` +
        `statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}; ` +
        `${reached.size}/${ops.length} operations answered 2xx at least once; generating ${(generating / 1000).toFixed(1)} s; slowest ${slowest.ms.toFixed(0)} ms ${slowest.what}`,
    );
    console.info(
      `never 2xx: ${ops
        .map((o) => `${o.method} ${o.url}`)
        .filter((o) => !reached.has(o))
        .join(', ')}`,
    );
    expect(failures.slice(0, 30), `${failures.length} failures`).toEqual([]);
    expect(sent).toBe(REQUESTS);

    const leaked = logs.lines.filter((line) => [...secrets, ...issued].some((x) => line.includes(x)));
    expect(leaked.slice(0, 5), 'log lines with a token or secret value').toEqual([]);
    expect(logs.lines.length).toBeGreaterThan(REQUESTS);
  }, 600_000);
});

function check(res: { status: number; body: string; streaming: boolean }, secrets: string[]): string | null {
  if (res.status >= 500) return `5xx: ${res.body.slice(0, 300)}`;
  if (res.status >= 400) {
    let error: { code?: unknown; hint?: unknown } | undefined;
    try {
      error = (JSON.parse(res.body) as { error?: typeof error }).error;
    } catch {
      return `a ${res.status} that is not JSON: ${res.body.slice(0, 200)}`;
    }
    if (typeof error?.code !== 'string' || !(ErrorCodes as readonly string[]).includes(error.code)) {
      return `no error code: ${res.body.slice(0, 300)}`;
    }
    if (typeof error.hint !== 'string' || error.hint.length === 0)
      return `no hint: ${res.body.slice(0, 300)}`;
    const echoed = secrets.find((x) => res.body.includes(x));
    if (echoed) return `echoes a credential or secret value: ${res.body.slice(0, 300)}`;
  }
  return null;
}
