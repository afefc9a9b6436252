import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { useTestDatabase } from '../helpers/db.js';
import { makeProject, type ProjectFixture } from './fixtures.js';

/**
 * SPEC 2: a revocation is honoured by every server node within a second. Two real server
 * processes share one database; the test process only seeds users and projects.
 */
const root = path.resolve(import.meta.dirname, '../../../..');
const script = path.join(import.meta.dirname, 'node-process.ts');

type Node = { url: string; child: ChildProcess; output: () => string };

function startNode(databaseUrl: string): Promise<Node> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      LATCH_MASTER_KEY: randomBytes(32).toString('base64'),
      LATCH_AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
      LATCH_LOG_LEVEL: 'warn',
      LATCH_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${out}`)), 30_000);
    const check = () => {
      const url = /LISTENING (http:\/\/\S+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, child, output: () => out });
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}:\n${out}`));
    });
  });
}

async function post(node: Node, token: string, url: string, body: unknown, method = 'POST') {
  const res = await fetch(`${node.url}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === null ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === null ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const db = useTestDatabase();
let seed: TestApp;
let nodes: Node[] = [];
let p: ProjectFixture;

beforeAll(async () => {
  seed = await createTestApp(db.database);
  p = await makeProject(seed);
  nodes = await Promise.all([startNode(db.url), startNode(db.url)]);
}, 60_000);

afterAll(async () => {
  await Promise.all(
    nodes.map(
      (n) =>
        new Promise<void>((resolve) => {
          if (n.child.exitCode !== null) return resolve();
          n.child.once('exit', () => resolve());
          n.child.kill('SIGTERM');
        }),
    ),
  );
  await seed?.app.close();
});

describe('two server nodes on one database', () => {
  it('a revocation on node A is honoured by node B within 1 second, though B had the key cached', async () => {
    const [a, b] = nodes as [Node, Node];
    const verifyOnB = async (key: string) =>
      (await post(b, p.owner.token, '/api/v1/verify', { key })).json.code;

    const created = await post(a, p.owner.token, `${p.base}/api-keys`, {
      name: 'cluster',
      scope: 'read',
      environment: 'production',
    });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    expect(await verifyOnB(token)).toBe('VALID');

    // Proof that B answers from its cache: a change the triggers do not announce goes unseen.
    await seed.database.db.execute(sql`ALTER TABLE api_keys DISABLE TRIGGER USER`);
    try {
      await seed.database.db.execute(
        sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${created.json.id as string}`,
      );
      expect(await verifyOnB(token)).toBe('VALID');
      await seed.database.db.execute(
        sql`UPDATE api_keys SET revoked_at = NULL WHERE id = ${created.json.id as string}`,
      );
    } finally {
      await seed.database.db.execute(sql`ALTER TABLE api_keys ENABLE TRIGGER USER`);
    }

    const revoked = await post(
      a,
      p.owner.token,
      `${p.base}/api-keys/${created.json.id as string}`,
      null,
      'DELETE',
    );
    expect(revoked.status).toBe(200);
    const start = performance.now();
    let code = await verifyOnB(token);
    while (code !== 'REVOKED' && performance.now() - start < 2000) {
      await new Promise((r) => setTimeout(r, 5));
      code = await verifyOnB(token);
    }
    const elapsed = performance.now() - start;
    expect(code).toBe('REVOKED');
    expect(elapsed).toBeLessThan(1000);
  });

  it('a rotation on node B is seen by node A: both secrets verify, with the same key id', async () => {
    const [a, b] = nodes as [Node, Node];
    const created = await post(a, p.owner.token, `${p.base}/api-keys`, {
      name: 'r',
      scope: 'read',
      environment: 'production',
    });
    const old = created.json.token as string;
    expect((await post(a, p.owner.token, '/api/v1/verify', { key: old })).json.code).toBe('VALID');
    const rotated = await post(b, p.owner.token, `${p.base}/api-keys/${created.json.id as string}/rotate`, {
      gracePeriod: '0',
    });
    expect(rotated.status).toBe(200);
    const start = performance.now();
    let code = '';
    // Grace 0: the replaced secret is refused at once, like one whose grace ran out.
    while (code !== 'EXPIRED' && performance.now() - start < 2000) {
      code = (await post(a, p.owner.token, '/api/v1/verify', { key: old })).json.code as string;
    }
    expect(code).toBe('EXPIRED');
    const fresh = await post(a, p.owner.token, '/api/v1/verify', { key: rotated.json.token });
    expect(fresh.json).toMatchObject({ code: 'VALID', keyId: created.json.id });
  });
});
