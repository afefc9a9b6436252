import { AppError, generateToken } from '@latchkey/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Verifier, type VerifierOptions } from '../src/index.js';
import { eventually, useLatchkey } from './helpers/latchkey.js';
import { type CountingProxy, startProxy } from './helpers/proxy.js';

const lk = useLatchkey();
let proxy: CountingProxy;
const open: Verifier[] = [];

beforeAll(async () => {
  proxy = await startProxy(lk.url);
});
afterEach(async () => {
  for (const v of open.splice(0)) await v.close();
});
afterAll(async () => {
  await proxy?.close();
});

async function verifier(extra: Partial<VerifierOptions> = {}): Promise<Verifier> {
  const v = createVerifier({ ...lk.verifierOptions(), apiUrl: proxy.url, ...extra });
  open.push(v);
  await v.ready();
  return v;
}

const verifies = () => proxy.count(/^POST \/api\/v1\/orgs\/[^/]+\/projects\/[^/]+\/verify$/);

describe('createVerifier refuses a wrong credential at once', () => {
  it('a malformed token, a PAT or an app API key: an AppError with a hint, before any request', async () => {
    const before = proxy.count(/./);
    const kinds = [
      { token: 'garbage', code: 'INVALID_TOKEN', says: /malformed/ },
      { token: lk.project.owner.token, code: 'WRONG_TOKEN_KIND', says: /personal access token/ },
      { token: (await lk.project.createKey()).token, code: 'WRONG_TOKEN_KIND', says: /app API key/ },
    ];
    for (const { token, code, says } of kinds) {
      const err = (() => {
        try {
          createVerifier({ ...lk.verifierOptions(), apiUrl: proxy.url, token });
        } catch (e) {
          return e as AppError;
        }
        throw new Error('createVerifier accepted a wrong token');
      })();
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe(code);
      expect(err.message).toMatch(says);
      expect(err.hint).toMatch(/latch keys create/);
      expect(`${err.message} ${err.hint}`).not.toContain(token);
    }
    expect(proxy.count(/./)).toBe(before);
  });
});

describe('createVerifier against a real server', () => {
  it('answers garbage and platform tokens locally, without a request', async () => {
    const v = await verifier();
    const before = verifies();
    for (const bad of ['', 'nope', `${lk.project.prefix}${'a'.repeat(49)}`, 'x'.repeat(500)]) {
      expect((await v.verify(bad)).code).toBe('MALFORMED');
    }
    // A well-shaped token with one character changed fails its checksum.
    const { token } = await lk.project.createKey();
    const typo = token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');
    expect((await v.verify(typo)).code).toBe('MALFORMED');
    expect((await v.verify(lk.project.owner.token)).code).toBe('NOT_FOUND');
    expect(verifies()).toBe(before);
  });

  it('verifies a key once, then from the cache, with grants and metadata', async () => {
    const v = await verifier();
    const key = await lk.project.createKey({ name: 'Warehouse', metadata: { customer: 'acme' } });
    const first = await v.verify(key.token);
    expect(first).toMatchObject({
      valid: true,
      code: 'VALID',
      keyId: key.id,
      name: 'Warehouse',
      scope: 'read',
      environment: 'production',
      metadata: { customer: 'acme' },
      grants: { Project: ['read'], Task: ['read'] },
    });
    const before = verifies();
    for (let i = 0; i < 100; i++) expect(await v.verify(key.token)).toEqual(first);
    expect(verifies()).toBe(before);
    expect(v.stats().hits).toBeGreaterThanOrEqual(100);
  });

  it('1,000 concurrent verifications of one unknown key make one request', async () => {
    const v = await verifier();
    const unknown = generateToken(lk.project.prefix);
    const before = verifies();
    const answers = await Promise.all(Array.from({ length: 1000 }, () => v.verify(unknown)));
    expect(new Set(answers.map((a) => a.code))).toEqual(new Set(['NOT_FOUND']));
    expect(verifies() - before).toBe(1);
    // Now a negative entry: still no request.
    expect((await v.verify(unknown)).code).toBe('NOT_FOUND');
    expect(verifies() - before).toBe(1);
  });

  it('checks route scopes: equal, covering, or INSUFFICIENT_SCOPE; environment mismatch', async () => {
    const v = await verifier();
    const reader = await lk.project.createKey({ scope: 'read' });
    const writer = await lk.project.createKey({ scope: 'writer' });
    expect((await v.verify(reader.token, { scope: 'read' })).code).toBe('VALID');
    expect((await v.verify(reader.token, { scope: 'writer' })).code).toBe('INSUFFICIENT_SCOPE');
    expect((await v.verify(writer.token, { scope: 'read' })).code).toBe('VALID');
    expect((await v.verify(writer.token, { scope: 'billing' })).code).toBe('INSUFFICIENT_SCOPE');
    const before = verifies();
    expect((await v.verify(reader.token, { scope: 'writer' })).code).toBe('INSUFFICIENT_SCOPE');
    expect((await v.verify(writer.token, { scope: 'read' })).valid).toBe(true);
    expect(verifies()).toBe(before);

    const staging = await verifier({ environment: 'staging' });
    expect((await staging.verify(reader.token)).code).toBe('WRONG_ENVIRONMENT');
  });

  it('evicts at once when the server pushes a revocation', async () => {
    const v = await verifier();
    const key = await lk.project.createKey();
    expect((await v.verify(key.token)).valid).toBe(true);
    const started = Date.now();
    await lk.revoke(key.id);
    const answer = await eventually(async () => {
      const a = await v.verify(key.token);
      expect(a.code).toBe('REVOKED');
      return a;
    }, 1000);
    expect(answer.valid).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('honours a rotation: the new secret works, the old one is refused once its grace is over', async () => {
    const v = await verifier();
    const key = await lk.project.createKey();
    expect((await v.verify(key.token)).valid).toBe(true);
    const res = await lk.t.app.inject({
      method: 'POST',
      url: `${lk.project.base}/api-keys/${key.id}/rotate`,
      headers: lk.t.auth(lk.project.owner.token),
      payload: { gracePeriod: 0 },
    });
    const fresh = res.json().token as string;
    expect((await v.verify(fresh)).keyId).toBe(key.id);
    // With no grace the old secret ends at once, refused like one whose grace ran out.
    await eventually(async () => expect((await v.verify(key.token)).code).toBe('EXPIRED'), 1000);
  });

  it('keeps its size bound', async () => {
    const v = await verifier({ cache: { maxEntries: 10 } });
    for (let i = 0; i < 30; i++) await v.verify(generateToken(lk.project.prefix));
    for (let i = 0; i < 15; i++) await v.verify((await lk.project.createKey()).token);
    expect(v.stats().size).toBeLessThanOrEqual(11);
  });

  it('reports usage in batches, which sets lastUsedAt', async () => {
    const v = await verifier({ usage: { flushIntervalMs: 60_000 } });
    const key = await lk.project.createKey();
    for (let i = 0; i < 5; i++) await v.verify(key.token);
    await v.flushUsage();
    expect(proxy.count(/\/usage$/)).toBeGreaterThan(0);
    // The server's one recorder holds the use (its own verification already noted it this minute).
    await lk.t.app.services.lastUsed.flush();
    const list = await lk.t.app.inject({
      method: 'GET',
      url: `${lk.project.base}/api-keys`,
      headers: lk.t.auth(lk.project.owner.token),
    });
    const listed = list.json().items.find((k: { id: string }) => k.id === key.id);
    expect(listed.lastUsedAt).not.toBeNull();
    expect(v.stats().usage.dropped).toBe(0);
  });

  it('never puts the token in an error', async () => {
    const v = createVerifier({
      ...lk.verifierOptions(),
      apiUrl: 'http://127.0.0.1:9',
      requestTimeoutMs: 500,
    });
    open.push(v);
    const key = generateToken(lk.project.prefix);
    const err = await v.verify(key).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify({ m: err.message, h: err.hint })).not.toContain(key);
    expect(String(err.message)).not.toContain(lk.project.owner.token);
  });
});

describe('when the server is unreachable', () => {
  it('serves cached answers for offlineGrace, refuses unknown keys, then recovers', async () => {
    const errors: unknown[] = [];
    // The verifier's own clock: the grace runs out when the test says, not after a real wait.
    let now = Date.now();
    const v = await verifier({
      offlineGrace: 1500,
      requestTimeoutMs: 500,
      onError: (e) => errors.push(e),
      clock: { now: () => now },
    });
    const key = await lk.project.createKey();
    expect((await v.verify(key.token)).valid).toBe(true);

    await proxy.stop();
    await eventually(() => expect(v.stats().connected).toBe(false));
    expect((await v.verify(key.token)).valid).toBe(true);
    const unknown = await v.verify(generateToken(lk.project.prefix)).catch((e) => e);
    expect(unknown).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

    // Just inside the grace it still serves; past it, nothing cached is trusted any more.
    now += 1499;
    expect((await v.verify(key.token)).valid).toBe(true);
    now += 1;
    expect(await v.verify(key.token).catch((e) => e.code)).toBe('SERVICE_UNAVAILABLE');

    await proxy.start();
    await eventually(() => expect(v.stats().connected).toBe(true), 12_000);
    expect((await v.verify(key.token)).valid).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
  }, 30_000);
});
