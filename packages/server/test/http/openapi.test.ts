import SwaggerParser from '@apidevtools/swagger-parser';
import { ERROR_STATUS, endpointList, openApiPath } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

type Parameter = { in: string; name: string; required?: boolean };
type Operation = {
  operationId: string;
  'x-permission': string;
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
};

async function fetchDocument() {
  const res = await t.app.inject({ url: '/api/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  return res.json() as { openapi: string; paths: Record<string, Record<string, Operation>> };
}

const keysOf = (schema: z.ZodType | undefined) =>
  schema ? Object.keys((schema as unknown as { shape: Record<string, unknown> }).shape).sort() : [];

describe('/api/v1/openapi.json', () => {
  it('describes every registered route, and nothing else, as the contract table declares it', async () => {
    const doc = await fetchDocument();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const registered = t.app.routeTable.map((r) => `${r.method} ${openApiPath(r.url)}`);
    expect(documented.sort()).toEqual(registered.sort());
    expect(registered.length).toBe(endpointList.length);

    for (const { id, endpoint: e } of endpointList) {
      const where = `${id} (${e.method} ${e.path})`;
      const op = doc.paths[openApiPath(e.path)]?.[e.method.toLowerCase()];
      expect(op, where).toBeDefined();
      expect(op!.operationId, where).toBe(id);
      expect(op!['x-permission'], where).toBe(e.permission);
      const params = (op!.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(params.sort(), `${where} path parameters`).toEqual(keysOf(e.params));
      const query = (op!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expect(query.sort(), `${where} query parameters`).toEqual(keysOf(e.query));
      expect(op!.requestBody !== undefined, `${where} request body`).toBe(e.body !== undefined);
      const success = Object.keys(e.response).length ? Object.keys(e.response) : ['200'];
      const failure = [...new Set(e.allErrors.map((c) => String(ERROR_STATUS[c])))];
      expect(Object.keys(op!.responses).sort(), `${where} answers`).toEqual([...success, ...failure].sort());
      // Public endpoints drop the document's bearer requirement; the others inherit it.
      expect(op!.security, `${where} security`).toEqual(e.permission === 'public' ? [] : undefined);
    }
  });

  it('is a valid OpenAPI 3.1 document (swagger-parser, zero errors)', async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe('3.1.0');
    // validate() dereferences in place; hand it a copy so the assertion below sees the original.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents each error answer with the codes the endpoint can return', async () => {
    const doc = await fetchDocument();
    const op = doc.paths['/api/v1/orgs/{org}/projects/{project}/api-keys']!.post!;
    const conflict = op.responses['409'] as {
      content: {
        'application/json': {
          schema: { properties: { error: { properties: { code: { enum: string[] } } } } };
        };
      };
    };
    expect(conflict.content['application/json'].schema.properties.error.properties.code.enum).toEqual([
      'CONFLICT',
    ]);
    expect(doc.paths['/api/v1/openapi.json']!.get!.security).toEqual([]);
    const events = doc.paths['/api/v1/orgs/{org}/projects/{project}/events']!.get!;
    expect(Object.keys((events.responses['200'] as { content: object }).content)).toEqual([
      'text/event-stream',
    ]);
  });
});
