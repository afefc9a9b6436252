#!/usr/bin/env node
// Revocation across nodes (issue 16 benchmark target: p99 < 100 ms over 100 trials). Three server
// processes on one database (the verify-http benchmark's server, verification cache on), one SDK
// verifier (the built SDK) subscribed to node 2 and one to node 3. Each trial: a fresh key is
// verified (and so cached) by node 2's and node 3's own cache and by both SDKs, then revoked with
// `DELETE …/api-keys/:id` on node 1; from the moment that answer arrives, each of the four is
// polled until it refuses the key. Reports median, p99 and max per observer.
//
//   node bench/revocation/run.mjs        (BENCH_TRIALS, default 100)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVerifier } from '../../packages/sdk/dist/index.js';
import {
  adminDatabase,
  adminQuery,
  describeMachine,
  fmt,
  startTs,
  stopTs,
  withDatabase,
  writeResults,
} from '../lib/common.mjs';

const trials = Number(process.env.BENCH_TRIALS) || 100;
const work = mkdtempSync(join(tmpdir(), 'latch-bench-revocation-'));

/** A node: the verify-http benchmark's server on the shared database and seed. */
const startNode = (databaseUrl) =>
  startTs('bench/verify-http/server.ts', {
    env: { DATABASE_URL: databaseUrl, BENCH_SEED: join(work, 'seed.json') },
    stdin: 'pipe',
  });

const summary = (times) => {
  const v = [...times].sort((a, b) => a - b);
  const at = (q) => v[Math.min(v.length - 1, Math.ceil(v.length * q) - 1)];
  return { median: at(0.5), p99: at(0.99), max: v[v.length - 1] };
};

const machineText = describeMachine();
const day = new Date().toISOString().slice(0, 10);
const admin = await adminDatabase(work);
const dbName = `bench_revocation_${randomBytes(4).toString('hex')}`;
await adminQuery(admin.url, `CREATE DATABASE ${dbName}`);
const databaseUrl = withDatabase(admin.url, dbName);
const nodes = [];
const verifiers = [];
try {
  // The first node seeds (user, PAT, project, environment, manifest); the others read its seed.
  nodes.push(await startNode(databaseUrl));
  nodes.push(...(await Promise.all([startNode(databaseUrl), startNode(databaseUrl)])));
  const s = nodes[0];
  const auth = { authorization: `Bearer ${s.pat}`, 'content-type': 'application/json' };
  // The apps' credential: a platform key, as an app holds one.
  const made = await fetch(`${s.app}/api/v1/orgs/${s.orgId}/keys`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'revocation-bench', scopes: ['api_keys:read', 'logs:write'] }),
  });
  if (made.status !== 201) throw new Error(`platform key: ${await made.text()}`);
  const appToken = (await made.json()).token;
  for (const n of nodes.slice(1)) {
    verifiers.push(
      createVerifier({
        apiUrl: n.app,
        token: appToken,
        project: 'bench',
        environment: 'production',
      }),
    );
  }
  await Promise.all(verifiers.map((v) => v.ready()));
  const keysUrl = `${s.app}/api/v1/orgs/${s.orgId}/projects/${s.projectId}/api-keys`;
  const serverVerify = (node, key) =>
    fetch(`${node.app}/api/v1/verify`, { method: 'POST', headers: auth, body: JSON.stringify({ key }) }).then(
      async (r) => (await r.json()).code === 'VALID',
    );
  const observers = [
    { name: 'node 2 (POST /verify)', valid: (key) => serverVerify(nodes[1], key) },
    { name: 'node 3 (POST /verify)', valid: (key) => serverVerify(nodes[2], key) },
    { name: 'SDK on node 2', valid: async (key) => (await verifiers[0].verify(key)).valid },
    { name: 'SDK on node 3', valid: async (key) => (await verifiers[1].verify(key)).valid },
  ];
  const times = observers.map(() => []);
  const loads = [];
  console.log(`Database ${dbName} on ${admin.label}; 3 nodes; ${trials} trials…`);
  for (let t = 0; t < trials; t++) {
    const res = await fetch(keysUrl, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: `revoke ${t}`, scope: 'read', environment: 'production' }),
    });
    if (res.status !== 201) throw new Error(`create key: ${await res.text()}`);
    const key = await res.json();
    for (const o of observers)
      if (!(await o.valid(key.token))) throw new Error(`${o.name} refused a fresh key`);
    const revoked = await fetch(`${keysUrl}/${key.id}`, {
      method: 'DELETE',
      headers: { authorization: auth.authorization },
    });
    if (revoked.status >= 300) throw new Error(`revoke: ${revoked.status} ${await revoked.text()}`);
    const from = performance.now();
    await Promise.all(
      observers.map(async (o, i) => {
        while (await o.valid(key.token)) {
          if (performance.now() - from > 10_000)
            throw new Error(`${o.name} accepts a revoked key after 10 s`);
          await new Promise((r) => setImmediate(r));
        }
        times[i].push(performance.now() - from);
      }),
    );
    loads.push(loadavg()[0]);
  }
  const results = observers.map((o, i) => ({ name: o.name, ...summary(times[i]) }));
  const all = summary(times.flat());
  for (const r of results)
    console.log(
      `  ${r.name}: median ${fmt(r.median, 1)} ms, p99 ${fmt(r.p99, 1)} ms, max ${fmt(r.max, 1)} ms`,
    );
  console.log(`  all: p99 ${fmt(all.p99, 1)} ms (target < 100 ms)`);
  writeResults(
    'revocation',
    [
      '## revocation',
      '',
      `${day}, ${machineText}; ${admin.label} (fresh database). Three server processes (bench/verify-http/server.ts, verification cache on) on one database, one SDK verifier (built SDK) subscribed to node 2 and one to node 3, all in the one machine; load average ${fmt(Math.min(...loads), 2)}–${fmt(Math.max(...loads), 2)} during the trials.`,
      '',
      `Each of ${trials} trials caches a fresh key in all four observers, revokes it with \`DELETE …/api-keys/:id\` on node 1 and polls each observer from the moment that answer arrives until it refuses the key. Target (issue 16): p99 < 100 ms.`,
      '',
      '| observer | median ms | p99 ms | max ms |',
      '| --- | ---: | ---: | ---: |',
      ...results.map((r) => `| ${r.name} | ${fmt(r.median, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.max, 1)} |`),
      `| **all four** | ${fmt(all.median, 1)} | **${fmt(all.p99, 1)}** | ${fmt(all.max, 1)} |`,
      '',
    ].join('\n'),
  );
} finally {
  for (const v of verifiers) await v.close().catch(() => {});
  for (const n of nodes) await stopTs(n);
  await adminQuery(admin.url, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  await admin.stop();
  rmSync(work, { recursive: true, force: true });
}
