import { randomBytes } from 'node:crypto';
import { AppError } from '@latchkey/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decryptValue,
  encryptValue,
  masterKeyCheck,
  newDataKey,
  unwrapDataKey,
  type ValueContext,
  wrapDataKey,
} from '../../src/services/secrets/crypto.js';

const ctx: ValueContext = {
  orgId: 'org_a',
  projectId: 'prj_a',
  environmentId: 'env_prod',
  name: 'STRIPE_SECRET_KEY',
  version: 3,
};
const VALUE = 'sk_live_5f3c9a-planted-value';

function integrityError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INTEGRITY_ERROR');
    expect((err as AppError).message).not.toContain(VALUE);
    return err as AppError;
  }
  throw new Error('expected an integrity error');
}

describe('value encryption (AES-256-GCM under the environment data key)', () => {
  it('round-trips, with a fresh nonce every time', () => {
    const key = newDataKey();
    const a = encryptValue(key, VALUE, ctx);
    const b = encryptValue(key, VALUE, ctx);
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.includes(Buffer.from(VALUE))).toBe(false);
    expect(decryptValue(key, a, ctx, 'acme/production')).toBe(VALUE);
    expect(decryptValue(key, b, ctx, 'acme/production')).toBe(VALUE);
  });

  it('round-trips any string, empty and multi-byte included', () => {
    const key = newDataKey();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        expect(decryptValue(key, encryptValue(key, value, ctx), ctx, 'x')).toBe(value);
      }),
    );
  });

  it('refuses a ciphertext with any byte changed, with a clear integrity error', () => {
    const key = newDataKey();
    const blob = encryptValue(key, VALUE, ctx);
    for (const at of [0, 1, 12, 13, blob.length - 17, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[at]! ^= 0x01;
      const err = integrityError(() => decryptValue(key, tampered, ctx, 'acme/production'));
      expect(err.message).toMatch(
        /STRIPE_SECRET_KEY \(version 3\) in acme\/production failed its integrity check/,
      );
    }
    integrityError(() => decryptValue(key, blob.subarray(0, 20), ctx, 'x'));
    integrityError(() => decryptValue(key, Buffer.alloc(0), ctx, 'x'));
  });

  it('refuses a ciphertext moved to another name, version, environment, project or org', () => {
    const key = newDataKey();
    const blob = encryptValue(key, VALUE, ctx);
    for (const moved of [
      { ...ctx, name: 'STRIPE_SECRET_KEY_OLD' },
      { ...ctx, version: 2 },
      { ...ctx, version: 4 },
      { ...ctx, environmentId: 'env_staging' },
      { ...ctx, projectId: 'prj_b' },
      { ...ctx, orgId: 'org_b' },
    ]) {
      integrityError(() => decryptValue(key, blob, moved, 'x'));
    }
    // Context fields are separated, so shifting characters between them does not collide.
    const shifted = { ...ctx, orgId: 'org_', projectId: 'aprj_a' };
    integrityError(() => decryptValue(key, blob, shifted, 'x'));
  });

  it('refuses another data key', () => {
    const blob = encryptValue(newDataKey(), VALUE, ctx);
    integrityError(() => decryptValue(newDataKey(), blob, ctx, 'x'));
  });
});

describe('data keys wrapped by the master key', () => {
  const env = { orgId: 'org_a', environmentId: 'env_prod' };

  it('unwraps with the right master key only, and only for its own environment', () => {
    const master = randomBytes(32);
    const dataKey = newDataKey();
    const wrapped = wrapDataKey(master, dataKey, env);
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(unwrapDataKey(master, wrapped, env, 'acme/production').equals(dataKey)).toBe(true);

    const wrong = integrityError(() => unwrapDataKey(randomBytes(32), wrapped, env, 'acme/production'));
    expect(wrong.message).toContain("cannot be opened with this server's master key");
    expect(wrong.hint).toContain('LATCH_MASTER_KEY');
    integrityError(() => unwrapDataKey(master, wrapped, { ...env, environmentId: 'env_staging' }, 'x'));
    integrityError(() => unwrapDataKey(master, wrapped, { ...env, orgId: 'org_b' }, 'x'));
  });

  it('rotation re-wraps the data key: values still decrypt, the old master key opens nothing', () => {
    const oldMaster = randomBytes(32);
    const newMaster = randomBytes(32);
    const dataKey = newDataKey();
    const blob = encryptValue(dataKey, VALUE, ctx);
    const before = wrapDataKey(oldMaster, dataKey, env);

    const after = wrapDataKey(newMaster, unwrapDataKey(oldMaster, before, env, 'x'), env);
    const reopened = unwrapDataKey(newMaster, after, env, 'x');
    // The value itself was never touched.
    expect(decryptValue(reopened, blob, ctx, 'x')).toBe(VALUE);
    integrityError(() => unwrapDataKey(oldMaster, after, env, 'x'));
  });

  it('the key check identifies a master key without revealing it', () => {
    const a = randomBytes(32);
    expect(masterKeyCheck(a)).toBe(masterKeyCheck(Buffer.from(a)));
    expect(masterKeyCheck(a)).not.toBe(masterKeyCheck(randomBytes(32)));
    expect(masterKeyCheck(a)).not.toContain(a.toString('hex'));
    expect(masterKeyCheck(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
