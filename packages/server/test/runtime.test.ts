import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../src/runtime/settings.js';
import { type RunningLatchkey, startLatchkey } from '../src/runtime/start.js';
import { StartupError } from '../src/runtime/startup-error.js';
import { useTestDatabase } from './helpers/db.js';

const db = useTestDatabase();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'latch-runtime-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const KEY = Buffer.alloc(32, 7).toString('base64');
const SIGNING_KEY = Buffer.alloc(32, 9).toString('base64');

/** Starts against the file's test database (not the embedded one) on a free port, logs silenced. */
function start(mode: 'dev' | 'production', env: Record<string, string> = {}, opts: { port?: number } = {}) {
  const fullEnv = { LATCH_DATABASE_URL: db.url, LATCH_LOG_LEVEL: 'silent', ...env };
  const settings = readSettings(mode, { port: 0, dataDir: path.join(dir, mode), ...opts }, fullEnv);
  return startLatchkey(settings, { env: fullEnv });
}

async function startupError(promise: Promise<unknown>): Promise<StartupError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StartupError);
  return err as StartupError;
}

describe('latch dev', () => {
  it('keeps one master key in the data folder, readable only by its owner', async () => {
    const first = await start('dev');
    await first.close();
    const file = path.join(dir, 'dev', 'master.key');
    const key = await readFile(file, 'utf8');
    expect(Buffer.from(key.trim(), 'base64')).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await start('dev');
    await second.close();
    expect(await readFile(file, 'utf8')).toBe(key);
  });

  it('keeps one audit signing key in the data folder: checkpoints of one session verify in the next', async () => {
    const first = await start('dev');
    const keyId = first.app.services.audit.signer.keyId;
    const kept = await first.app.services.audit.internal.checkpoint(null);
    await first.close();
    const file = path.join(dir, 'dev', 'audit-signing.key');
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await start('dev');
    try {
      expect(second.app.services.audit.signer.keyId).toBe(keyId);
      const result = await second.app.services.audit.internal.verifyChain(null, { fromCheckpoint: kept });
      expect(result.checkpoint).toEqual({ seq: kept.seq, matched: true });
    } finally {
      await second.close();
    }
  });

  it('refuses a second server on the same data folder and names the first', async () => {
    // The lock's holder must be another live process: our own pid in a lock counts as stale.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await mkdir(path.join(dir, 'dev'), { recursive: true });
      const lock = { pid: holder.pid, url: 'http://127.0.0.1:7421' };
      await writeFile(path.join(dir, 'dev', 'latch.lock'), JSON.stringify(lock));
      const err = await startupError(start('dev'));
      expect(err.message).toBe(
        `A Latchkey dev server is already running in ${path.join(dir, 'dev')} (pid ${holder.pid}, http://127.0.0.1:7421). ` +
          'Stop it first, or use --data-dir for a second one.',
      );
    } finally {
      holder.kill();
    }
  });

  it('takes over the lock of a server that died without removing it', async () => {
    await writeFile(path.join(dir, 'dev', 'latch.lock'), JSON.stringify({ pid: 2 ** 22 + 1 }));
    const running = await start('dev');
    await running.close();
    await expect(stat(path.join(dir, 'dev', 'latch.lock'))).rejects.toThrow();
  });

  it('says plainly that the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await startupError(start('dev', {}, { port }));
      expect(err.message).toBe(`Port ${port} is in use: is another Latchkey running? Use --port.`);
    } finally {
      blocker.close();
    }
  });

  it('names an unreachable database by host and port, never by its password', async () => {
    const err = await startupError(
      start('dev', { LATCH_DATABASE_URL: 'postgres://latch:hunter2@127.0.0.1:1/latch' }),
    );
    expect(err.message).toContain('Cannot reach PostgreSQL at 127.0.0.1:1');
    expect(err.message).not.toContain('hunter2');
  });

  it('finishes a request in flight before it closes the database', async () => {
    const running = await start('dev');
    const token = await signUp(running);
    const body = `{"name":"drain-${Date.now()}"}${' '.repeat(64 * 1024)}`;
    const response = new Promise<number>((resolve, reject) => {
      const req = http.request(`${running.listenUrl}/api/v1/orgs`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(body.slice(0, 100));
      // The rest arrives only after close() has begun.
      setTimeout(() => req.end(body.slice(100)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const order: string[] = [];
    await Promise.all([
      response.then((status) => order.push(`response ${status}`)),
      running.close().then(() => order.push('closed')),
    ]);
    expect(order).toEqual(['response 201', 'closed']);
  });
});

describe('latch server', () => {
  it('refuses to start without LATCH_MASTER_KEY and says how to make one', async () => {
    const err = await startupError(start('production'));
    expect(err.message).toContain('LATCH_MASTER_KEY is not set');
    expect(err.message).toContain('openssl rand -base64 32');
  });

  it('refuses a master key of the wrong length without echoing it', async () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    const err = await startupError(start('production', { LATCH_MASTER_KEY: short }));
    expect(err.message).toContain('exactly 32 bytes; it decodes to 16');
    expect(err.message).not.toContain(short);
  });

  it('refuses to start without LATCH_AUDIT_SIGNING_KEY, or with one of the wrong length, without echoing it', async () => {
    const missing = await startupError(start('production', { LATCH_MASTER_KEY: KEY }));
    expect(missing.message).toContain('LATCH_AUDIT_SIGNING_KEY is not set');
    expect(missing.message).toContain('openssl rand -base64 32');
    const short = Buffer.alloc(31, 3).toString('base64');
    const wrong = await startupError(
      start('production', { LATCH_MASTER_KEY: KEY, LATCH_AUDIT_SIGNING_KEY: short }),
    );
    expect(wrong.message).toContain('exactly 32 bytes; it decodes to 31');
    expect(wrong.message).not.toContain(short);
  });

  it('starts with a valid key and an external database, without touching the data folder', async () => {
    const running = await start('production', {
      LATCH_MASTER_KEY: KEY,
      LATCH_AUDIT_SIGNING_KEY: SIGNING_KEY,
      LATCH_PUBLIC_URL: 'https://latch.example.com/',
    });
    try {
      expect(running.url).toBe('https://latch.example.com');
      const res = await fetch(`${running.listenUrl}/health`);
      expect(res.status).toBe(200);
      await expect(stat(path.join(dir, 'production'))).rejects.toThrow();
    } finally {
      await running.close();
    }
  });
});

/** A user and PAT through the real services, as the app's own test helper makes them. */
async function signUp(running: RunningLatchkey): Promise<string> {
  const { services } = running.app;
  const meta = { ip: '127.0.0.1', requestId: null };
  const { db: drizzle } = db.database;
  return drizzle.transaction(async (tx) => {
    const user = await services.identity.createUser(
      tx,
      { email: `drain-${Date.now()}@example.com` },
      meta,
      'test',
    );
    const pat = await services.tokens.issuePat(
      tx,
      { type: 'user', id: user.id, label: user.email },
      user.id,
      {
        name: 'drain',
        via: 'test',
      },
    );
    return pat.token;
  });
}

describe('rate-limit settings', () => {
  const read = (env: Record<string, string>) =>
    readSettings('production', { port: 0, dataDir: '/tmp/unused' }, { ...env });

  it('reads LATCH_RATE_LIMIT_PER_ADDRESS and _PER_CREDENTIAL as <count>/<window>', () => {
    const s = read({
      LATCH_RATE_LIMIT_PER_ADDRESS: '50/second',
      LATCH_RATE_LIMIT_PER_CREDENTIAL: '100000/minute',
    });
    expect(s.rateLimitPerAddress).toEqual({ points: 50, durationSeconds: 1 });
    expect(s.rateLimitPerCredential).toEqual({ points: 100_000, durationSeconds: 60 });
    expect(read({}).rateLimitPerCredential).toBeNull();
  });

  it('refuses a malformed limit, naming the variable and the format', () => {
    for (const bad of ['fast', '0/minute', '100/fortnight', '-1/second']) {
      let err: unknown;
      try {
        read({ LATCH_RATE_LIMIT_PER_CREDENTIAL: bad });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StartupError);
      expect((err as Error).message).toMatch(
        /LATCH_RATE_LIMIT_PER_CREDENTIAL is <count>\/<second\|minute\|hour\|day>/,
      );
    }
  });
});

describe('LATCH_VERIFY_OUTAGE_GRACE', () => {
  const read = (env: Record<string, string>) =>
    readSettings('production', { port: 0, dataDir: '/tmp/unused' }, { ...env });

  it('reads a duration, 0s included; unset keeps the default (5 minutes)', () => {
    expect(read({ LATCH_VERIFY_OUTAGE_GRACE: '90s' }).verifyOutageGraceMs).toBe(90_000);
    expect(read({ LATCH_VERIFY_OUTAGE_GRACE: '0s' }).verifyOutageGraceMs).toBe(0);
    expect(read({}).verifyOutageGraceMs).toBeNull();
  });

  it('refuses anything else with a clear startup error', () => {
    for (const bad of ['soon', '-5s', '2d']) {
      expect(() => read({ LATCH_VERIFY_OUTAGE_GRACE: bad })).toThrow(
        /LATCH_VERIFY_OUTAGE_GRACE is a duration/,
      );
    }
  });
});
