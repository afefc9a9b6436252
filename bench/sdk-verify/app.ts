/**
 * The app of the sdk-verify benchmark: one Fastify app with GET /v1/projects mounted from a
 * manifest and guarded by apiKey:read (the SDK verifier), and one Fastify app serving the same
 * route and answer with no guard at all (the baseline). Both in this process; prints
 * `READY <json>` once the verifier's event stream is connected.
 */

// The built SDK (dist), as an app would run it: run.mjs starts this without the source condition.
import { createVerifier, mountRoutes, ok } from '@latchkey/sdk';
import Fastify from 'fastify';

const env = process.env;
const answer = { items: [{ id: 'p1', name: 'Website relaunch', tasks: 3 }] };
const verifier = createVerifier({
  apiUrl: env.LATCH_API_URL!,
  token: env.LATCH_TOKEN!,
  project: 'bench',
  environment: 'production',
});
await verifier.ready();

const guarded = Fastify();
mountRoutes(
  guarded,
  {
    project: 'bench',
    apiKeys: { scopes: { read: { grants: { Project: ['read'], Task: ['read'] } } } },
    routes: [{ prefix: '/v1', auth: 'apiKey:read', routes: { 'GET /projects': 'listProjects' } }],
  },
  { handlers: { listProjects: () => ok(answer) }, verifier },
);
const plain = Fastify();
plain.get('/v1/projects', async () => answer);

await guarded.listen({ host: '127.0.0.1', port: 0 });
await plain.listen({ host: '127.0.0.1', port: 0 });
const url = (f: typeof plain) => {
  const addr = f.server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
};
process.stdout.write(`READY ${JSON.stringify({ guarded: url(guarded), plain: url(plain) })}\n`);

const stop = async () => {
  await guarded.close();
  await plain.close();
  await verifier.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
