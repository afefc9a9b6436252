import { randomBytes } from 'node:crypto';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import { AppError, meta } from '@latchkey/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { type Clock, systemClock } from './clock.js';
import type { ServerConfig } from './config.js';
import { clientErrorHandler, MAX_HEADER_BYTES, registerHsts } from './http/client-errors.js';
import { registerEffectsMetrics } from './http/effects-metrics.js';
import { frameworkErrors, registerErrorHandling } from './http/errors.js';
import { registerJsonBodyParser } from './http/json-body.js';
import { createLimitStore } from './http/limit-store.js';
import { createLimiters, type Limiters } from './http/limiters.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { completeDocument } from './http/openapi.js';
import { collectRouteTable, type RouteInfo, registerSecurity } from './http/security.js';
import { routeModules } from './routes/index.js';
import { assertEveryEndpointRegistered, register } from './routes/register.js';
import { createNodeRegistry, type NodeRegistry } from './runtime/nodes.js';
import { auditRowsWritten } from './services/audit/audit.service.js';
import { createServices, type Services } from './services/index.js';
import type { Database } from './store/db.js';
import { createEventBus } from './store/notify.js';

export type AppDeps = {
  database: Database;
  config: ServerConfig;
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  /** Process-wide metrics (CPU, memory, GC) in /metrics: the real server, once per process. */
  processMetrics?: boolean;
};

export type App = FastifyInstance & {
  services: Services;
  limiters: Limiters;
  /** This node's entry among the server processes sharing the database. */
  nodes: NodeRegistry;
  routeTable: RouteInfo[];
  /** Every route marked `returnsCredential`, /api/v1 or not. */
  credentialRoutes: RouteInfo[];
  config: ServerConfig;
  metrics: Metrics;
};

export type RouteContext = {
  services: Services;
  limiters: Limiters;
  config: ServerConfig;
  database: Database;
  clock: Clock;
  metrics: Metrics;
};
export type RouteModule = (app: FastifyInstance, ctx: RouteContext) => void | Promise<void>;

// Request ids: this process's random tag and a counter. Unique across nodes and restarts (72
// random bits), ordered within a process, and far cheaper than a UUID on every request.
const processTag = randomBytes(9).toString('base64url');
let requestCount = 0;
const nextRequestId = () => `req_${processTag}${(++requestCount).toString(36)}`;

/** Wires plugins, services and routes; never listens (main.ts does), so tests use app.inject(). */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, database } = deps;
  const clock = deps.clock ?? systemClock;
  const https = config.publicUrl.startsWith('https://');
  const app = Fastify({
    logger: deps.logger ?? false,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    clientErrorHandler: clientErrorHandler({ requestId: nextRequestId, hsts: https }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : nextRequestId();
    },
    requestIdHeader: false,
    frameworkErrors,
    // Fastify's own 503 while closing has another body: the hook below answers in the API's shape.
    return503OnClosing: false,
    trustProxy: process.env.LATCH_TRUST_PROXY === '1',
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Requests that arrive while the node drains (SIGTERM) are told to go elsewhere, in the API's shape.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_req, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    done(
      new AppError('SERVICE_UNAVAILABLE', 'This server is shutting down.', {
        hint: 'Retry: another node, or this one once it is back, will answer.',
        retryAfterSeconds: 1,
      }),
    );
  });

  // Cross-node cache invalidation (LISTEN/NOTIFY); listens once the app is ready, stops on close.
  const bus = createEventBus(database.pool, app.log);
  const services = createServices({ db: database.db, verifyPool: database.verifyPool, clock, config, bus });
  // Refuses to build an app that would hand out DATABASE_URLs able to reach other databases.
  await services.appDatabases?.ensureIsolation();
  app.addHook('onReady', () => {
    services.audit.startCheckpoints((err) => app.log.error({ err }, 'audit checkpoint failed'));
    // The delivery worker (the real server; tests drive services.effectsWorker by hand).
    if (config.effects?.worker) services.effectsWorker.start();
    services.logs.startRetention((err) => app.log.error({ err }, 'usage retention failed'));
    return bus.start();
  });
  app.addHook('onClose', async () => {
    // First: attempts in flight finish (or go back to the queue) while the database is still there.
    await services.effectsWorker.stop();
    await services.audit.close();
    services.logs.stopRetention();
    await services.lastUsed.close();
    services.mailer?.close();
    services.lookups.close();
    await bus.close();
  });
  // Every node registers in the database, so it knows how many share each limit.
  const nodes = createNodeRegistry(database.pool, { sharesLimits: config.redisUrl !== null, log: app.log });
  const limitStore = config.redisUrl
    ? createLimitStore({
        url: config.redisUrl,
        ...(config.redisKeyPrefix ? { prefix: config.redisKeyPrefix } : {}),
        nodeCount: nodes.count,
        log: app.log,
      })
    : null;
  // A server whose Redis is down still starts: its limits then use this node's share (see limit-store).
  await limitStore?.ready(2000);
  const limiters = createLimiters(config, clock, limitStore);
  app.addHook('onReady', () => nodes.start());
  app.addHook('onClose', async () => {
    limiters.close();
    await nodes.close();
    await limitStore?.close();
  });
  const { routes: routeTable, credentialRoutes } = collectRouteTable(app);
  // Before any route: each route gets its request recorder as it is registered.
  const metrics = createMetrics(app, {
    pools: { main: database.pool, verify: database.verifyPool },
    verifyStats: services.apiKeys.verifyStats,
    limiters,
    auditRowsWritten,
    auditCheckpointBacklog: () => services.audit.checkpointBacklog(),
    ...(deps.processMetrics ? { processMetrics: true } : {}),
  });

  registerEffectsMetrics(metrics.registry, database.pool, services.effectsWorker);
  registerErrorHandling(app, limiters, metrics);
  registerJsonBodyParser(app);
  if (https) registerHsts(app);
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Latchkey API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  registerSecurity(app, services, limiters, { secureCookies: config.secureCookies });

  const ctx: RouteContext = { services, limiters, config, database, clock, metrics };
  for (const mod of routeModules) await mod(app, ctx);

  let document: Record<string, unknown> | undefined;
  register(app, meta.openapi, async () => {
    document ??= completeDocument(app.swagger() as unknown as Record<string, unknown>);
    return document;
  });
  assertEveryEndpointRegistered(routeTable);

  await app.ready();
  return Object.assign(app, {
    services,
    limiters,
    nodes,
    routeTable,
    credentialRoutes,
    config,
    metrics,
  }) as unknown as App;
}
