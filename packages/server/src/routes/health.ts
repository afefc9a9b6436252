import { sql } from 'drizzle-orm';
import type { RouteModule } from '../app.js';

export const healthRoutes: RouteModule = (app, { database }) => {
  app.get('/health', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await Promise.race([
        database.db.execute(sql`SELECT 1`),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      return { status: 'ok', database: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'degraded', database: 'unreachable' });
    }
  });
};
