import { AppError } from '@latchkey/core';
import { describe, expect, it } from 'vitest';
import { ApiError, createApiClient, createClient, createVerifier, endpoints } from '../src/index.js';
import { useLatchkey } from './helpers/latchkey.js';

const lk = useLatchkey();

describe('createClient (management) against a real server', () => {
  it('creates (token once), lists, rotates and revokes keys; a verifier sees each step', async () => {
    const client = createClient({ ...lk.verifierOptions(), environment: 'production' });
    const verifier = createVerifier(lk.verifierOptions());
    await verifier.ready();
    try {
      const created = await client.apiKeys.create({
        scope: 'read',
        name: 'Customer 42',
        metadata: { customer: '42' },
        expiresIn: '30d',
      });
      expect(created.token.startsWith(lk.project.prefix)).toBe(true);
      expect(created).toMatchObject({
        name: 'Customer 42',
        scope: 'read',
        environment: 'production',
        status: 'active',
      });
      expect((await verifier.verify(created.token)).valid).toBe(true);

      const page = await client.apiKeys.list({ scope: 'read' });
      const listed = page.items.find((k) => k.id === created.id)!;
      expect(listed).toBeDefined();
      expect(JSON.stringify(page)).not.toContain(created.token);

      const rotated = await client.apiKeys.rotate(created.id, { gracePeriod: '1h' });
      expect(rotated.id).toBe(created.id);
      expect(rotated.token).not.toBe(created.token);
      expect((await verifier.verify(rotated.token)).keyId).toBe(created.id);
      // The verifier cached the old token before the rotation; the change reaches it over its
      // push stream (within a second, as a revocation does), not with the rotate's answer.
      await expect
        .poll(async () => (await verifier.verify(created.token)).rotatingUntil, { timeout: 1000 })
        .not.toBeNull();

      const revoked = await client.apiKeys.revoke(created.id);
      expect(revoked.status).toBe('revoked');
      await expect
        .poll(async () => (await verifier.verify(rotated.token)).code, { timeout: 1000 })
        .toBe('REVOKED');
    } finally {
      await verifier.close();
    }
  });

  it('answers with the shared error codes', async () => {
    const client = createClient({ ...lk.verifierOptions() });
    const err = await client.apiKeys
      .create({ scope: 'admin', name: 'x', environment: 'production' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toMatchObject({ declared: ['billing', 'read', 'writer'] });
    expect((await client.apiKeys.revoke('ak_nope').catch((e) => e)).code).toBe('NOT_FOUND');
    const stranger = createClient({ ...lk.verifierOptions(), token: 'lk_pat_nope' });
    expect((await stranger.apiKeys.list().catch((e) => e)).code).toBe('INVALID_TOKEN');
  });
});

describe('client.effects.enqueue', () => {
  it('enqueues a delivery; the same idempotency key answers the first effect', async () => {
    const client = createClient(lk.verifierOptions());
    const input = { url: 'http://127.0.0.1:9/callback', payload: { order: 7 }, idempotencyKey: 'order-7' };
    const first = await client.effects.enqueue(input);
    expect(first).toMatchObject({ kind: 'app', state: 'pending', duplicate: false });
    const again = await client.effects.enqueue(input);
    expect(again).toMatchObject({ id: first.id, duplicate: true });
    await expect(client.effects.enqueue({ url: 'nope', payload: 1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('the typed client from the SDK', () => {
  it('reaches every endpoint of the table, with the management client or on its own', async () => {
    const client = createClient({ ...lk.verifierOptions() });
    const me = await client.api.call(endpoints.me.get);
    expect(me.token.kind).toBeDefined();
    const own = createApiClient({ baseUrl: lk.verifierOptions().apiUrl, token: lk.verifierOptions().token });
    const missing = await own.attempt(endpoints.secrets.get, {
      params: { org: 'nope', project: 'nope', env: 'production', name: 'X' },
    });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toBeInstanceOf(ApiError);
  });
});
