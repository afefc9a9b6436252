import {
  defaultStatus,
  type Endpoint,
  type EndpointDef,
  endpointId,
  endpointList,
  type SuccessStatus,
} from '@latchkey/core';
import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySerializerCompiler,
} from 'fastify';
import type { z } from 'zod';

type In<S> = S extends z.ZodType ? z.output<S> : undefined;
type Answer<D extends EndpointDef> = {
  [S in keyof D['response']]: D['response'][S] extends z.ZodType ? z.input<D['response'][S]> : never;
}[keyof D['response']];

export type EndpointRequest<D extends EndpointDef> = FastifyRequest<{
  Params: In<D['params']>;
  Querystring: In<D['query']>;
  Body: In<D['body']>;
}>;

/**
 * Parse → one service call → response. The answer goes out with the endpoint's success status
 * unless the handler picks another (`reply.code`); a streaming handler hijacks the reply.
 */
export type EndpointHandler<D extends EndpointDef> = (
  req: EndpointRequest<D>,
  reply: FastifyReply,
) => Handled<D> | Promise<Handled<D>>;
// A streaming handler hijacks the reply and returns nothing.
// biome-ignore lint/suspicious/noConfusingVoidType: an async function that returns nothing is Promise<void>
type Handled<D extends EndpointDef> = Answer<D> | FastifyReply | void;

export type RegisterOptions = {
  /** Replaces tokens.authenticate for one route (the verification API caches its callers). */
  authenticate?: FastifyContextConfig['authenticate'];
  serializerCompiler?: FastifySerializerCompiler<unknown>;
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The contract table's entry this route serves; /api/v1 routes without one are refused. */
    endpoint?: Endpoint;
  }
}

/** Registers one endpoint of the contract table: its path, schemas and permission come from the table. */
export function register<D extends EndpointDef>(
  app: FastifyInstance,
  endpoint: Endpoint<D>,
  handler: EndpointHandler<D>,
  options: RegisterOptions = {},
): void {
  const id = endpointId(endpoint as Endpoint);
  if (!id) throw new Error(`${endpoint.method} ${endpoint.path} is not an entry of the contract table.`);
  const status: SuccessStatus = defaultStatus(endpoint);
  const typed = handler as unknown as (req: FastifyRequest, reply: FastifyReply) => unknown;
  app.route({
    method: endpoint.method,
    url: endpoint.path,
    config: {
      permission: endpoint.permission,
      endpoint: endpoint as Endpoint,
      ...(endpoint.returnsCredential ? { returnsCredential: true } : {}),
      ...(options.authenticate ? { authenticate: options.authenticate } : {}),
    },
    schema: {
      operationId: id,
      summary: endpoint.summary,
      ...(endpoint.description ? { description: endpoint.description } : {}),
      tags: [id.split('.')[0]!],
      ...(endpoint.params ? { params: endpoint.params } : {}),
      ...(endpoint.query ? { querystring: endpoint.query } : {}),
      ...(endpoint.body ? { body: endpoint.body } : {}),
      ...(endpoint.stream ? {} : { response: endpoint.response }),
    },
    ...(options.serializerCompiler ? { serializerCompiler: options.serializerCompiler } : {}),
    // Not async: a handler that answers synchronously (the verification cache) stays promise-free.
    handler: endpoint.returnsCredential
      ? (req, reply) => {
          // A secret shown once must not be kept by a browser, proxy or CLI cache either.
          reply.header('cache-control', 'no-store');
          if (status !== 200) reply.code(status);
          return typed(req, reply);
        }
      : status === 200
        ? typed
        : (req, reply) => {
            reply.code(status);
            return typed(req, reply);
          },
  });
}

/** Start-up check: every entry of the table has a registered route, so none is declared but unserved. */
export function assertEveryEndpointRegistered(registered: ReadonlyArray<{ id: string }>): void {
  const served = new Set(registered.map((r) => r.id));
  const missing = endpointList.filter((e) => !served.has(e.id));
  if (missing.length > 0) {
    const list = missing.map((e) => `${e.id} (${e.endpoint.method} ${e.endpoint.path})`).join(', ');
    throw new Error(`The contract table declares endpoints that have no handler: ${list}.`);
  }
}
