import { endpoint } from '../endpoint.js';
import { Me } from '../identity.js';

export const me = {
  get: endpoint({
    method: 'GET',
    path: '/api/v1/me',
    summary: 'Who the presented credential belongs to',
    permission: 'self',
    response: { 200: Me },
    errors: [],
  }),
} as const;
