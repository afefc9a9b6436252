import { createServer, type Server, Socket } from 'node:net';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A TCP proxy in front of PostgreSQL. `partition()` stops forwarding without closing anything
 * (packets dropped, as on a broken network), `cut()` closes and refuses connections, `heal()`
 * forwards again.
 */
export async function startProxy(target: URL) {
  const pairs = new Set<[Socket, Socket]>();
  let partitioned = false;
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    upstream.connect(Number(target.port || 5432), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('data', (d) => !partitioned && upstream.write(d));
    upstream.on('data', (d) => !partitioned && client.write(d));
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop).on('error', drop);
    upstream.on('close', drop).on('error', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    partition: () => {
      partitioned = true;
    },
    heal: () => {
      partitioned = false;
      refusing = false;
    },
    /** Closes every proxied connection and refuses new ones (the database looks down). */
    cut: () => {
      refusing = true;
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
    },
    close: async () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A statement on the admin database (ALTER DATABASE, pg_terminate_backend). */
export async function admin(text: string) {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Refuses connections to one database and ends the open ones (what an outage looks like). */
export async function refuseConnections(name: string): Promise<void> {
  await admin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
  await admin(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
  );
}

export async function allowConnections(name: string): Promise<void> {
  await admin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
}

export async function until(ok: () => Promise<boolean> | boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await ok()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${ms} ms`);
}
