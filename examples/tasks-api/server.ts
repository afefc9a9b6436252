/**
 * The tasks API: Fastify with the route table of latch.config.ts, API keys verified in-process by
 * the Latchkey SDK (cached, revocations pushed by the server).
 *
 *   LATCH_API_URL   the Latchkey server (default http://127.0.0.1:7420); several nodes comma-separated
 *   LATCH_TOKEN     a platform key with api_keys:read (verify) and logs:write (usage reports):
 *                  `latch keys create tasks-api -s api_keys:read,logs:write`
 *   LATCH_ENV       the environment this app serves (default production)
 *   LATCH_ORG       org name or id (optional: a platform key knows its org)
 *   PORT, HOST      where to listen (default 127.0.0.1:3000; PORT=0 picks a free port)
 *   OIDC_ISSUER, OIDC_AUDIENCE   enable the session route with your identity provider
 *   LATCH_LOAD_SECRETS=1   load the environment's released secrets at start (the key then needs
 *                  secrets:read) and again on SIGHUP, e.g. after a deploy rotated the webhook
 *                  secret; without it the secrets come from the environment (`latch run`)
 */
import { createVerifier, loadSecrets, mountRoutes } from '@latchkey/sdk';
import Fastify from 'fastify';
import { handlers } from './handlers.js';
import manifest from './latch.config.js';

const env = process.env;
if (!env.LATCH_TOKEN) {
  console.error(
    'Set LATCH_TOKEN to a platform key with api_keys:read and logs:write (latch keys create tasks-api -s api_keys:read,logs:write).',
  );
  process.exit(1);
}

const verifier = createVerifier({
  apiUrl: env.LATCH_API_URL ?? 'http://127.0.0.1:7420',
  token: env.LATCH_TOKEN,
  project: manifest.project,
  environment: env.LATCH_ENV ?? 'production',
  ...(env.LATCH_ORG ? { org: env.LATCH_ORG } : {}),
  ...(env.LATCH_OFFLINE_GRACE_MS ? { offlineGrace: Number(env.LATCH_OFFLINE_GRACE_MS) } : {}),
  onError: (err) => console.error(`latchkey: ${(err as Error).message}`),
});

// The secrets mountRoutes checks webhook signatures with: replaced whole on each reload, and read
// per request, so a reload takes effect at once.
let secrets: Record<string, string | undefined> = env;
const reloadSecrets = async () => {
  secrets = await loadSecrets({
    apiUrl: env.LATCH_API_URL ?? 'http://127.0.0.1:7420',
    token: env.LATCH_TOKEN as string,
    project: manifest.project,
    environment: env.LATCH_ENV ?? 'production',
    ...(env.LATCH_ORG ? { org: env.LATCH_ORG } : {}),
  });
};
if (env.LATCH_LOAD_SECRETS === '1') await reloadSecrets();

const app = Fastify();
// `connected` only when revocations reach this app at once; `degraded` names what does not work
// (stream: no Latchkey server reachable; listen: the server lost its database listener) while
// cached keys keep working until `servingCachedUntil`. Always 200: the app itself still serves.
app.get('/health', async () => {
  const s = verifier.stats();
  return {
    ok: true,
    latchkey: !s.connected ? 'offline' : s.degraded.length > 0 ? 'degraded' : 'connected',
    degraded: s.degraded,
    ...(s.offlineUntil === undefined ? {} : { servingCachedUntil: new Date(s.offlineUntil).toISOString() }),
  };
});
mountRoutes(app, manifest, {
  handlers,
  verifier,
  session: env.OIDC_ISSUER
    ? { issuer: env.OIDC_ISSUER, audience: env.OIDC_AUDIENCE ?? 'tasks-api' }
    : () => null, // no identity provider configured: session routes answer 401
  secrets: (name) => secrets[name],
  onError: (err) => console.error(`tasks-api: ${(err as Error).message}`),
});

await app.listen({ host: env.HOST ?? '127.0.0.1', port: Number(env.PORT ?? 3000) });
const addr = app.server.address();
console.log(
  `Tasks API listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : env.PORT}`,
);

const stop = async () => {
  await app.close();
  await verifier.close(); // sends the last usage batch
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGHUP', () => {
  if (env.LATCH_LOAD_SECRETS !== '1') return;
  reloadSecrets().then(
    () => console.log('Reloaded the released secrets'),
    (err) =>
      console.error(`tasks-api: reloading secrets failed, keeping the old ones: ${(err as Error).message}`),
  );
});
process.on('SIGTERM', stop);
