import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { AppError } from '@latchkey/core';
import canonicalize from 'canonicalize';
import { z } from 'zod';

/** The server's Ed25519 checkpoint key (LATCH_AUDIT_SIGNING_KEY, or audit-signing.key in dev). */
export type AuditSigner = {
  /** `ed25519:` and the first 16 hex digits of SHA-256 over the raw public key. */
  keyId: string;
  /** The raw 32-byte public key, base64. */
  publicKey: string;
  privateKey: KeyObject;
};

// DER PKCS#8 wrapping of a 32-byte Ed25519 seed (RFC 8410): node:crypto takes keys in this form.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function signerFromSeed(seed: Buffer): AuditSigner {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return withPublic(privateKey);
}

/** Apps built without a configured key (tests, benchmarks) sign with a key that dies with them. */
export function ephemeralSigner(): AuditSigner {
  return withPublic(generateKeyPairSync('ed25519').privateKey);
}

function withPublic(privateKey: KeyObject): AuditSigner {
  const raw = rawPublicKey(createPublicKey(privateKey));
  return { keyId: keyIdOf(raw), publicKey: raw.toString('base64'), privateKey };
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

function keyIdOf(raw: Buffer): string {
  return `ed25519:${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
}

/**
 * A checkpoint as handed out (`latch audit checkpoint --out FILE`). The signature covers the
 * RFC 8785 (JCS) encoding of every other field, so anyone holding the file can check it with any
 * Ed25519 library, without Latchkey.
 */
export const PortableCheckpoint = z.object({
  type: z.literal('latchkey.audit.checkpoint'),
  v: z.literal(1),
  org: z.string().nullable(),
  seq: z.number().int().nonnegative(),
  /** The hash of row `seq` of the chain, lowercase hex (64 zeros for an empty chain). */
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  time: z.iso.datetime(),
  keyId: z.string(),
  publicKey: z.string(),
  signature: z.string(),
});
export type PortableCheckpoint = z.infer<typeof PortableCheckpoint>;

type Statement = Omit<PortableCheckpoint, 'signature'>;

function statementBytes(s: Statement): Buffer {
  const { type, v, org, seq, headHash, time, keyId, publicKey } = s;
  return Buffer.from(canonicalize({ type, v, org, seq, headHash, time, keyId, publicKey })!, 'utf8');
}

export function signCheckpoint(
  signer: AuditSigner,
  head: { orgId: string | null; seq: number; headHash: Buffer; time: Date },
): PortableCheckpoint {
  const statement: Statement = {
    type: 'latchkey.audit.checkpoint',
    v: 1,
    org: head.orgId,
    seq: head.seq,
    headHash: head.headHash.toString('hex'),
    time: head.time.toISOString(),
    keyId: signer.keyId,
    publicKey: signer.publicKey,
  };
  // Ed25519 signs the message itself: no digest algorithm to name (hence null).
  const signature = sign(null, statementBytes(statement), signer.privateKey).toString('base64');
  return { ...statement, signature };
}

/**
 * Parses a checkpoint someone kept and checks it was signed by this server's key for `orgId`.
 * A file that fails is refused as input: it proves nothing either way about the chain.
 */
export function checkCheckpoint(raw: unknown, signer: AuditSigner, orgId: string | null): PortableCheckpoint {
  const parsed = PortableCheckpoint.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('INVALID_INPUT', 'That is not a Latchkey audit checkpoint.', {
      hint: 'Pass the JSON file written by `latch audit checkpoint --out FILE`, unchanged.',
    });
  }
  const cp = parsed.data;
  if (cp.org !== orgId) {
    throw new AppError(
      'INVALID_INPUT',
      `That checkpoint is of another org's audit chain (${cp.org ?? 'system'}).`,
      {
        hint: 'Verify it with the org it was made for (--org).',
      },
    );
  }
  if (cp.publicKey !== signer.publicKey || cp.keyId !== signer.keyId) {
    throw new AppError(
      'INVALID_INPUT',
      `That checkpoint was signed by key ${cp.keyId}, not this server's ${signer.keyId}.`,
      {
        hint: 'Start the server with the LATCH_AUDIT_SIGNING_KEY it was made under, or verify with a checkpoint made since.',
      },
    );
  }
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(cp.publicKey, 'base64').toString('base64url') },
    format: 'jwk',
  });
  if (!verify(null, statementBytes(cp), publicKey, Buffer.from(cp.signature, 'base64'))) {
    throw new AppError(
      'INVALID_INPUT',
      'That checkpoint’s signature does not match its contents: the file was altered.',
      {
        hint: 'Use an unaltered copy of the checkpoint.',
      },
    );
  }
  return cp;
}
