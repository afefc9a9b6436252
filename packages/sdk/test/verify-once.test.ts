import type * as crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFetchHandler, createVerifier, ok, type Verifier } from '../src/index.js';
import { useLatchkey } from './helpers/latchkey.js';

// Counts the SDK's SHA-256 digests of a presented key (node:crypto's one-shot `hash`, hex: the
// in-process test server hashes in base64), delegating to the real one.
const digests = vi.hoisted(() => ({ count: 0, of: '' }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof crypto>();
  return {
    ...real,
    hash: (...args: Parameters<typeof real.hash>) => {
      if (args[1] === digests.of && args[2] === 'hex') digests.count++;
      return real.hash(...args);
    },
  };
});

const lk = useLatchkey();
let v: Verifier;

beforeAll(async () => {
  v = createVerifier({ ...lk.verifierOptions(), usage: false });
  await v.ready();
});
afterAll(async () => {
  await v?.close();
});

describe('one hash per request', () => {
  it('a guarded route hashes the key once on a miss and once on a hit', async () => {
    const handler = createFetchHandler(
      {
        project: lk.project.name,
        apiKeys: { scopes: { read: { grants: { Task: ['read'] } } } },
        routes: [{ prefix: '/v1', auth: 'apiKey:read', routes: { 'GET /tasks': 'listTasks' } }],
      },
      { handlers: { listTasks: () => ok({ items: [] }) }, verifier: v },
    );
    const key = await lk.project.createKey();
    const call = () =>
      handler(new Request('http://app/v1/tasks', { headers: { authorization: `Bearer ${key.token}` } }));
    digests.of = key.token;
    digests.count = 0;
    expect((await call()).status).toBe(200); // a miss: asks the server
    expect(digests.count).toBe(1);
    digests.count = 0;
    expect((await call()).status).toBe(200); // a hit
    expect(digests.count).toBe(1);
  });

  it('verifySync answers a cached key with the value itself, verify with a settled promise', async () => {
    const key = await lk.project.createKey();
    const asked = v.verifySync(key.token);
    expect(asked).toBeInstanceOf(Promise);
    const first = await asked;
    expect(first.valid).toBe(true);
    const hit = v.verifySync(key.token);
    expect(hit).not.toBeInstanceOf(Promise);
    expect(hit).toEqual(first);
    // The cached answer itself, every time: nothing is built per hit.
    expect(v.verifySync(key.token)).toBe(hit);
    expect(await v.verify(key.token)).toBe(hit);
    expect(v.verifySync('nope')).toMatchObject({ code: 'MALFORMED' });
  });
});
