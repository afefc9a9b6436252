import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';

/** The part of a JSON Schema (as @fastify/swagger serves it) these tests read. */
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  $ref?: string;
};

export type Parameter = {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: JsonSchema;
};

export type Operation = {
  method: string;
  /** Fastify's form: `/api/v1/orgs/:org`. */
  url: string;
  parameters: Parameter[];
  body?: JsonSchema;
  security?: unknown[];
};

export type OpenApiDocument = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        security?: unknown[];
      }
    >
  >;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** The served document: the only description of the API these tests rely on. */
export async function fetchOpenApi(t: TestApp): Promise<OpenApiDocument> {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** Every operation of the document, with its path in Fastify's `:param` form. */
export function operations(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      out.push({
        method: method.toUpperCase(),
        url: path.replace(/\{([^}]+)\}/g, ':$1'),
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
        security: op.security,
      });
    }
  }
  return out;
}

/** The alternatives a schema allows (anyOf/oneOf flattened), so callers can look at each. */
export function alternatives(schema: JsonSchema | undefined): JsonSchema[] {
  if (!schema) return [];
  const alts = schema.anyOf ?? schema.oneOf;
  return alts ? alts.flatMap(alternatives) : [schema];
}

/** The schema of the value at `path` inside a value described by `schema`, if the schema says. */
export function schemaAt(schema: JsonSchema | undefined, path: (string | number)[]): JsonSchema | undefined {
  let current = schema;
  for (const step of path) {
    if (!current) return undefined;
    const alts = alternatives(current);
    let next: JsonSchema | undefined;
    for (const alt of alts) {
      if (typeof step === 'number' && alt.items) next = alt.items;
      else if (typeof step === 'string' && alt.properties?.[step]) next = alt.properties[step];
      else if (typeof step === 'string' && typeof alt.additionalProperties === 'object')
        next = alt.additionalProperties;
      if (next) break;
    }
    current = next;
  }
  return current;
}

export function allowsType(schema: JsonSchema | undefined, type: string): boolean {
  return alternatives(schema).some((s) => ([] as (string | undefined)[]).concat(s.type).includes(type));
}
