import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '@latchkey/core';

/**
 * Envelope encryption (SPEC section 7). The master key (KEK) wraps one random data key per
 * environment; each secret value is AES-256-GCM under its environment's data key with a fresh
 * 12-byte nonce. Associated data binds where a ciphertext belongs (org, project, environment,
 * name, version; for a data key: org and environment), so a ciphertext copied to another row
 * fails authentication instead of decrypting to the wrong secret.
 *
 * Stored layout: [format byte][12-byte nonce][ciphertext][16-byte tag].
 */
const FORMAT = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export type ValueContext = {
  orgId: string;
  projectId: string;
  environmentId: string;
  name: string;
  version: number;
};
export type DataKeyContext = { orgId: string; environmentId: string };

/** NUL separators: ids and names never contain NUL, so two different contexts never encode alike. */
function valueAad(c: ValueContext): Buffer {
  return Buffer.from(
    ['latchkey/secret/v1', c.orgId, c.projectId, c.environmentId, c.name, String(c.version)].join('\0'),
  );
}

function dataKeyAad(c: DataKeyContext): Buffer {
  return Buffer.from(['latchkey/data-key/v1', c.orgId, c.environmentId].join('\0'));
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT), nonce, body, cipher.getAuthTag()]);
}

/** null when the blob is malformed or fails authentication: callers phrase the error. */
function open(key: Buffer, blob: Buffer, aad: Buffer): Buffer | null {
  if (blob.length < 1 + NONCE_BYTES + TAG_BYTES || blob[0] !== FORMAT) return null;
  const nonce = blob.subarray(1, 1 + NONCE_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  const body = blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return null;
  }
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function encryptValue(dataKey: Buffer, value: string, context: ValueContext): Buffer {
  return seal(dataKey, Buffer.from(value, 'utf8'), valueAad(context));
}

/**
 * The value, or INTEGRITY_ERROR naming the secret (never its content). `where` is how the
 * environment is named in the message, e.g. "acme/production".
 */
export function decryptValue(dataKey: Buffer, blob: Buffer, context: ValueContext, where: string): string {
  const plain = open(dataKey, blob, valueAad(context));
  if (!plain) {
    throw new AppError(
      'INTEGRITY_ERROR',
      `The stored value of ${context.name} (version ${context.version}) in ${where} failed its integrity check: it was altered, or copied from another secret, version or environment, so it cannot be read.`,
      {
        hint: 'Set the secret again, or restore the database from a backup. Nothing was decrypted.',
        details: { name: context.name, version: context.version },
      },
    );
  }
  return plain.toString('utf8');
}

/**
 * Where a release's resolved value belongs (a value whose `${NAME}` references were replaced when
 * the release was made). Its own label and the release id keep it from passing for a stored
 * version, or for the same name in another release.
 */
export type ResolvedContext = {
  orgId: string;
  projectId: string;
  environmentId: string;
  releaseId: string;
  name: string;
};

function resolvedAad(c: ResolvedContext): Buffer {
  return Buffer.from(
    ['latchkey/resolved/v1', c.orgId, c.projectId, c.environmentId, c.releaseId, c.name].join('\0'),
  );
}

export function encryptResolved(dataKey: Buffer, value: string, context: ResolvedContext): Buffer {
  return seal(dataKey, Buffer.from(value, 'utf8'), resolvedAad(context));
}

export function decryptResolved(
  dataKey: Buffer,
  blob: Buffer,
  context: ResolvedContext,
  where: string,
): string {
  const plain = open(dataKey, blob, resolvedAad(context));
  if (!plain) {
    throw new AppError(
      'INTEGRITY_ERROR',
      `The resolved value of ${context.name} pinned in a release of ${where} failed its integrity check: it was altered or copied from another release, so it cannot be read.`,
      {
        hint: 'Deploy again to pin freshly resolved values, or restore the database from a backup.',
        details: { name: context.name },
      },
    );
  }
  return plain.toString('utf8');
}

export function wrapDataKey(masterKey: Buffer, dataKey: Buffer, context: DataKeyContext): Buffer {
  return seal(masterKey, dataKey, dataKeyAad(context));
}

export function unwrapDataKey(
  masterKey: Buffer,
  wrapped: Buffer,
  context: DataKeyContext,
  where: string,
): Buffer {
  const key = open(masterKey, wrapped, dataKeyAad(context));
  if (!key || key.length !== KEY_BYTES) {
    throw new AppError(
      'INTEGRITY_ERROR',
      `The data key of ${where} cannot be opened with this server's master key: the master key is not the one it was wrapped with, or the stored key was altered.`,
      {
        hint: 'Start the server with the right LATCH_MASTER_KEY (after `latch server rotate-master-key`, the new one).',
      },
    );
  }
  return key;
}

const CHECK_LABEL = 'latchkey/master-key-check/v1';

/**
 * A value that identifies a master key without revealing it: HMAC-SHA256 under the key of a fixed
 * label. Stored at first start and compared at every start.
 */
export function masterKeyCheck(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update(CHECK_LABEL).digest('hex');
}

export function sameCheck(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Short id for messages: the first 8 hex characters of the check (safe to show). */
export function masterKeyId(masterKey: Buffer): string {
  return masterKeyCheck(masterKey).slice(0, 8);
}

/**
 * A small secret sealed directly under the master key (webhook signing secrets: we must sign with
 * them, so they cannot be hashed). `label` and `id` bind the blob to its row.
 */
export function sealUnderMasterKey(masterKey: Buffer, value: string, label: string, id: string): Buffer {
  return seal(masterKey, Buffer.from(value, 'utf8'), Buffer.from(['latchkey', label, id].join('\0')));
}

/** The value, or null when the blob does not open with this master key. */
export function openUnderMasterKey(
  masterKey: Buffer,
  blob: Buffer,
  label: string,
  id: string,
): string | null {
  return open(masterKey, blob, Buffer.from(['latchkey', label, id].join('\0')))?.toString('utf8') ?? null;
}
