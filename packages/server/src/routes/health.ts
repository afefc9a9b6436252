import { sql } from 'drizzle-orm';
import type { RouteModule } from '../app.js';

/**
 * What works and what does not: the database (a round trip within 2 s), this node's listener
 * (how changes made on other nodes reach its caches and SDK streams), and whether cached
 * verifications are still served while the listener is away (up to LATCH_VERIFY_OUTAGE_GRACE).
 * 503 while the database is unreachable; 200 with `status: degraded` when only the listener is.
 */
export const healthRoutes: RouteModule = (app, { database, services }) => {
  app.get('/health', { schema: { hide: true } }, async (_req, reply) => {
    let databaseOk = true;
    try {
      await Promise.race([
        database.db.execute(sql`SELECT 1`),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
    } catch {
      databaseOk = false;
    }
    const cache = services.apiKeys.verifyCacheState();
    const degraded = [...(databaseOk ? [] : ['database']), ...(cache.listening ? [] : ['listen'])];
    const body = {
      status: degraded.length === 0 ? 'ok' : 'degraded',
      database: databaseOk ? 'ok' : 'unreachable',
      listen: cache.listening ? 'ok' : 'down',
      degraded,
      verifyCache: {
        serving: cache.serving,
        ...(cache.staleSince === null
          ? {}
          : {
              staleSince: new Date(cache.staleSince).toISOString(),
              servingUntil: new Date(cache.staleSince + cache.graceMs).toISOString(),
            }),
      },
      sdkStreams: services.keyEvents.streamCount(),
    };
    return reply.code(databaseOk ? 200 : 503).send(body);
  });
};
