import { ERROR_STATUS, type ErrorCode, endpointList, openApiPath } from '@latchkey/core';

type Operation = {
  operationId?: string;
  security?: unknown[];
  responses?: Record<string, unknown>;
  [key: string]: unknown;
};
type Document = { paths?: Record<string, Record<string, Operation>>; [key: string]: unknown };

/** One error answer's shape, its `code` narrowed to those this status carries for this endpoint. */
function errorResponse(codes: ErrorCode[]) {
  return {
    description: codes.join(', '),
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: codes },
                message: { type: 'string' },
                hint: { type: 'string', description: 'what to do next' },
                requestId: { type: 'string' },
                details: {},
              },
            },
          },
        },
      },
    },
  };
}

/**
 * Adds what the route schemas cannot say to the document @fastify/swagger built from the
 * registered routes: each endpoint's permission, its error answers by status, streamed answers,
 * and no security requirement for public ones. Everything comes from the contract table.
 */
export function completeDocument<D extends Document>(doc: D): D {
  for (const { endpoint } of endpointList) {
    const op = doc.paths?.[openApiPath(endpoint.path)]?.[endpoint.method.toLowerCase()];
    if (!op) continue; // the contract test reports it; the document itself stays servable
    op['x-permission'] = endpoint.permission;
    if (endpoint.permission === 'public') op.security = [];
    const responses: Record<string, unknown> = { ...op.responses };
    if (endpoint.stream) {
      responses['200'] = {
        description: endpoint.summary,
        content: { [endpoint.stream]: { schema: { type: 'string' } } },
      };
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of endpoint.allErrors) {
      const status = ERROR_STATUS[code];
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[String(status)] = errorResponse(codes);
    }
    op.responses = responses;
  }
  return doc;
}
