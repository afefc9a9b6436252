import { z } from 'zod';
import { endpoint } from '../endpoint.js';

export const meta = {
  openapi: endpoint({
    method: 'GET',
    path: '/api/v1/openapi.json',
    summary: 'This document: every /api/v1 endpoint, generated from the contract table',
    permission: 'public',
    response: { 200: z.record(z.string(), z.unknown()).describe('an OpenAPI 3.1 document') },
    errors: [],
  }),
} as const;
