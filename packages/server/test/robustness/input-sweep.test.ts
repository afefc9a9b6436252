import { ErrorCodes } from '@latchkey/core';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RouteInfo } from '../../src/http/security.js';
import { useTestApp } from '../helpers/app.js';
import { capturedLogger } from '../helpers/logs.js';
import { allowsType, fetchOpenApi, type Operation, operations, schemaAt } from './openapi.js';
import { fillUrl, type Seed, seed } from './seed.js';

const logs = capturedLogger();
const t = useTestApp({}, { logger: logs.logger });

const INT4_MAX = 2 ** 31 - 1;
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Cursors no server ever wrote: dates PostgreSQL cannot store, ids it cannot take, other shapes. */
export const BAD_CURSORS = [
  cursorOf(['-271821-04-20T00:00:00.000Z', 'x']),
  cursorOf(['+275760-09-13T00:00:00.000Z', 'x']),
  cursorOf(['0000-01-01T00:00:00.000Z', 'x\u0000']),
  cursorOf(['2026-01-01T00:00:00.000Z', '\ud800']),
  cursorOf(['2026-02-31T00:00:00.000Z', 'x']),
  cursorOf({ at: 1 }),
  'not*base64',
];
const OUT_OF_RANGE_INTEGERS = [String(INT4_MAX + 1), '99999999999', '-99999999999', '1e400'];
const OUT_OF_RANGE_DATES = ['-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'];
// Two ways a lone surrogate can arrive in a URL: invalid UTF-8 (CESU-8 of U+D800) and its percent-escape.
const BAD_URL_TEXT = ['%00', 'a%00b', '%ED%A0%80'];

type Case = { what: string; method: string; url: string; payload?: unknown };

/** Every leaf of a JSON value with its path; object keys are reported as leaves of their own too. */
function leaves(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; value: unknown; key?: true }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      { path: [...path, k], value: k, key: true as const },
      ...leaves(v, [...path, k]),
    ]);
  }
  return [{ path, value }];
}

function replaced(body: unknown, path: (string | number)[], value: unknown, renameKey = false): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(body)) return body.map((v, i) => (i === head ? replaced(v, rest, value, renameKey) : v));
  const obj = body as Record<string, unknown>;
  if (renameKey && rest.length === 0) {
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => (k === head ? [value as string, v] : [k, v])),
    );
  }
  return { ...obj, [head!]: replaced(obj[head!], rest, value, renameKey) };
}

function casesFor(route: RouteInfo, op: Operation, s: Seed): Case[] {
  const params = s.params(route);
  const required = op.parameters.filter((p) => p.in === 'query' && p.required);
  const baseQuery = new URLSearchParams(required.map((p) => [p.name, s.requiredQuery[p.name]!]));
  const withQuery = (url: string, extra = '') => {
    const q = [baseQuery.toString(), extra].filter(Boolean).join('&');
    return q ? `${url}?${q}` : url;
  };
  const url = fillUrl(route.url, params);
  const body = s.body(route);
  const out: Case[] = [];
  const at = (what: string, u: string, payload: unknown = body) =>
    out.push({ what, method: route.method, url: u, payload });

  for (const name of Object.keys(params)) {
    for (const bad of BAD_URL_TEXT) {
      at(
        `:${name} = ${bad}`,
        withQuery(fillUrl(route.url, params, { [name]: `${encodeURIComponent(params[name]!)}${bad}` })),
      );
    }
  }
  for (const p of op.parameters.filter((p) => p.in === 'query')) {
    const others = (extra: string) =>
      withQuery(url, extra).replace(new RegExp(`([?&])${p.name}=[^&]*&?`), '$1');
    for (const bad of BAD_URL_TEXT)
      at(`?${p.name}=${bad}`, `${others('')}${others('').includes('?') ? '&' : '?'}${p.name}=x${bad}`);
    if (allowsType(p.schema, 'integer')) {
      for (const n of OUT_OF_RANGE_INTEGERS)
        at(`?${p.name}=${n}`, `${others('')}${others('').includes('?') ? '&' : '?'}${p.name}=${n}`);
    }
    if (p.name === 'cursor') {
      for (const c of BAD_CURSORS) at(`?cursor=${c}`, withQuery(url, `cursor=${c}`));
    }
  }
  at('an unknown query key with a NUL', withQuery(url, 'x%00=1'));

  if (body) {
    for (const leaf of leaves(body)) {
      const where = leaf.path.join('.');
      if (leaf.key) {
        at(`key ${where} + NUL`, url, replaced(body, leaf.path, `${leaf.value}\u0000`, true));
        continue;
      }
      const schema = schemaAt(op.body, leaf.path);
      if (typeof leaf.value === 'string') {
        at(`${where} + NUL`, url, replaced(body, leaf.path, `${leaf.value}\u0000`));
        at(`${where} + unpaired surrogate`, url, replaced(body, leaf.path, `${leaf.value}\ud800`));
        at(`${where} = lone low surrogate`, url, replaced(body, leaf.path, '\udc00'));
        if (/^\d{4}-\d\d-\d\dT/.test(leaf.value)) {
          for (const d of OUT_OF_RANGE_DATES) at(`${where} = ${d}`, url, replaced(body, leaf.path, d));
        }
      }
      if (typeof leaf.value === 'number' && allowsType(schema, 'integer') && !allowsType(schema, 'number')) {
        for (const n of [INT4_MAX + 1, -(INT4_MAX + 2), 1e20])
          at(`${where} = ${n}`, url, replaced(body, leaf.path, n));
      }
    }
  }
  return out;
}

/** An answer that never comes (a stream that opened) fails the case by name instead of the test by timeout. */
async function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within 5 s: ${what}`)), 5000);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every row of every table, hashed: "nothing changed" means this is the same after the sweep. */
async function fingerprint(): Promise<Record<string, string>> {
  // Last use is recorded off the request path (coalesced, at most once a minute per credential):
  // a flush landing mid-sweep is bookkeeping of the seed's requests, not a change the sweep made.
  // Likewise the node's heartbeat in server_nodes (every 10 s, whatever the requests).
  const tables = await t.database.db.execute<{ name: string }>(
    sql`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'server_nodes' ORDER BY tablename`,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const r = await t.database.db.execute<{ h: string }>(
      sql`SELECT count(*) || ':' || md5(coalesce(string_agg((to_jsonb(x) - 'last_used_at')::text, '|' ORDER BY (to_jsonb(x) - 'last_used_at')::text), '')) AS h FROM ${sql.identifier(name)} x`,
    );
    out[name] = r.rows[0]!.h;
  }
  return out;
}

describe('the NUL / overflow sweep over every route', () => {
  let s: Seed;
  let ops: Map<string, Operation>;
  beforeAll(async () => {
    s = await seed(t);
    ops = new Map(operations(await fetchOpenApi(t)).map((o) => [`${o.method} ${o.url}`, o]));
  });

  it('answers 400 with a code and a hint, never 5xx, and changes nothing', async () => {
    const routes = t.app.routeTable.filter((r) => r.permission !== 'public');
    const before = await fingerprint();
    const logStart = logs.lines.length;
    const failures: string[] = [];
    let sent = 0;
    for (const route of routes) {
      const op = ops.get(`${route.method} ${route.url}`);
      expect(op, `${route.method} ${route.url} is in the OpenAPI document`).toBeDefined();
      if (op!.body)
        expect(s.body(route), `seed.ts has a valid body for ${route.method} ${route.url}`).toBeDefined();
      for (const c of casesFor(route, op!, s)) {
        sent++;
        const res = await withDeadline(
          t.app.inject({
            method: c.method as 'GET',
            url: c.url,
            headers: {
              ...t.auth(s.owner.token),
              ...(c.payload === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(c.payload === undefined ? {} : { payload: JSON.stringify(c.payload) }),
          }),
          `${route.method} ${route.url} ${c.what}`,
        ).catch((err: Error) => err);
        if (res instanceof Error) {
          failures.push(res.message);
          continue;
        }
        const error = (res.json() as { error?: { code?: string; hint?: string } }).error;
        const ok =
          res.statusCode === 400 &&
          typeof error?.code === 'string' &&
          (ErrorCodes as readonly string[]).includes(error.code) &&
          typeof error.hint === 'string' &&
          error.hint.length > 0;
        if (!ok)
          failures.push(
            `${route.method} ${route.url} ${c.what}: ${res.statusCode} ${res.body.slice(0, 300)}`,
          );
      }
    }
    expect(failures.slice(0, 40), `${failures.length} failures`).toEqual([]);
    expect(sent).toBeGreaterThan(300);
    expect(await fingerprint()).toEqual(before);
    // The schemas caught every case: none reached PostgreSQL and came back as its error.
    const reached = logs.lines.slice(logStart).filter((l) => /reached the database|request failed/.test(l));
    expect(reached).toEqual([]);
  }, 120_000);
});
