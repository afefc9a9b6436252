import { hash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@latchkey/core';
import type { RouteModule } from '../app.js';

// Both sides hashed first: equal lengths for timingSafeEqual, so neither the token nor its length
// leaks through the comparison's timing.
const digest = (text: string) => hash('sha256', text, 'buffer');

function presented(header: string | undefined): string | null {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/**
 * Prometheus scrapes: outside /api/v1 (SPEC 5). Open unless LATCH_METRICS_TOKEN is set; then it
 * needs that token as a bearer.
 */
export const metricsRoutes: RouteModule = (app, { config, metrics }) => {
  const expected = config.metricsToken ? digest(config.metricsToken) : null;
  app.get('/metrics', { config: { permission: 'public' }, schema: { hide: true } }, async (req, reply) => {
    if (expected) {
      const token = presented(req.headers.authorization);
      if (token === null || !timingSafeEqual(digest(token), expected)) {
        throw new AppError('UNAUTHENTICATED', '/metrics needs the metrics token.', {
          hint: 'Send Authorization: Bearer <LATCH_METRICS_TOKEN> (the value the server was started with).',
        });
      }
    }
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
