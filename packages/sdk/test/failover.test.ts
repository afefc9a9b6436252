import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/src/store/db.js';
import { actorIn, makeProject, type ProjectFixture } from '../../server/test/api-keys/fixtures.js';
import { createTestApp, type TestApp } from '../../server/test/helpers/app.js';
import { useTestDatabase } from '../../server/test/helpers/db.js';
import { serverList } from '../src/failover.js';
import { createVerifier, type Verifier } from '../src/index.js';
import { eventually } from './helpers/latchkey.js';

/**
 * Three real server nodes on one database, an SDK given all three. Node 1 dies while the SDK's
 * push stream is on it, a key is revoked through node 2 before the SDK has reconnected, and the
 * SDK, resuming on another node from the shared key-event log, refuses the key.
 */
const db = useTestDatabase();
const nodes: { t: TestApp; url: string }[] = [];
let p: ProjectFixture;
let token: string;
const open: Verifier[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const t = await createTestApp(openDatabase(db.url));
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    nodes.push({ t, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
  }
  const t = nodes[0]!.t;
  p = await makeProject(t);
  token = (
    await t.app.services.platformKeys.create(await actorIn(t, p.owner, p.orgId), {
      name: 'failover tests',
      scopes: ['api_keys:read', 'logs:write'],
    })
  ).token;
});
afterAll(async () => {
  for (const v of open) await v.close();
  for (const n of nodes) {
    await n.t.app.close().catch(() => {});
    await n.t.database.close().catch(() => {});
  }
});

function verifier(config: { apiUrl?: string; servers?: string[] }): Verifier {
  const v = createVerifier({
    ...config,
    token,
    org: p.orgId,
    project: p.name,
    environment: 'production',
    usage: false,
  });
  open.push(v);
  return v;
}

const revokeVia = async (node: number, id: string) => {
  const t = nodes[node]!.t;
  const res = await t.app.inject({
    method: 'DELETE',
    url: `${p.base}/api-keys/${id}`,
    headers: t.auth(p.owner.token),
  });
  expect(res.statusCode, res.body).toBe(200);
};

describe('servers: several nodes', () => {
  it('takes a list or a comma-separated apiUrl; one URL works as before; an empty one is refused', () => {
    expect(serverList('http://a:1/, http://b:2')).toEqual(['http://a:1', 'http://b:2']);
    expect(serverList('', ['http://a:1', 'http://a:1/'])).toEqual(['http://a:1']);
    expect(serverList('http://a:1')).toEqual(['http://a:1']);
    expect(() => serverList(' , ')).toThrow(/apiUrl or servers/);
  });

  it('when the stream’s node dies, resumes on another and refuses a key revoked during the switch', async () => {
    const v = verifier({ servers: nodes.map((n) => n.url) });
    await v.ready();
    expect(v.stats().server).toBe(nodes[0]!.url);
    const key = await p.createKey();
    const other = await p.createKey();
    expect((await v.verify(key.token)).valid).toBe(true);
    expect((await v.verify(other.token)).valid).toBe(true);

    // Node 1 dies: its connections are cut and it stops listening.
    const dead = nodes[0]!.t.app;
    dead.server.closeAllConnections();
    const closing = dead.close();
    await eventually(() => expect(v.stats().connected).toBe(false), 3000);
    // Revoked through node 2 while the SDK has no stream: it can only learn this on resuming.
    const started = Date.now();
    await revokeVia(1, key.id);
    await closing;

    await eventually(async () => expect((await v.verify(key.token)).code).toBe('REVOKED'), 5000);
    const took = Date.now() - started;
    expect(took).toBeLessThan(5000);
    expect(v.stats()).toMatchObject({ connected: true, degraded: [] });
    expect(v.stats().server).not.toBe(nodes[0]!.url);
    expect((await v.verify(other.token)).valid).toBe(true);
    console.log(`failover: revoked key refused ${took} ms after the revoke`);
  }, 30_000);

  it('a comma-separated apiUrl whose first node is down still connects and verifies', async () => {
    const v = verifier({ apiUrl: `${nodes[0]!.url},${nodes[2]!.url}` });
    await v.ready();
    expect(v.stats().server).toBe(nodes[2]!.url);
    const created = await nodes[2]!.t.app.inject({
      method: 'POST',
      url: `${p.base}/api-keys`,
      headers: nodes[2]!.t.auth(p.owner.token),
      payload: { name: 'after failover', scope: 'read', environment: 'production' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json() as { id: string; token: string };
    expect((await v.verify(key.token)).valid).toBe(true);
    await revokeVia(2, key.id);
    await eventually(async () => expect((await v.verify(key.token)).code).toBe('REVOKED'), 3000);
  });
});
