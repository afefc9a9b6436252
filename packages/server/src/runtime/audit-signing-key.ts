import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type AuditSigner, signerFromSeed } from '../services/audit/signing.js';
import { StartupError } from './startup-error.js';

const HOW_TO_MAKE = [
  'Make one with:',
  '  openssl rand -base64 32',
  'and keep it apart from the database: a checkpoint proves the audit log was not rewritten only',
  'as long as whoever can write the database cannot sign with this key.',
].join('\n');

/**
 * Production: LATCH_AUDIT_SIGNING_KEY, the base64 of a 32-byte Ed25519 seed (RFC 8032's private
 * key), or no start at all. The same on every node, so all of them sign checkpoints alike.
 */
export function auditSignerFromEnv(raw: string | undefined): AuditSigner {
  const value = raw?.trim();
  if (!value) {
    throw new StartupError(
      `LATCH_AUDIT_SIGNING_KEY is not set. It signs audit-log checkpoints: 32 random bytes, base64.\n${HOW_TO_MAKE}`,
    );
  }
  const seed = decodeSeed(value);
  if (!seed) {
    // Only the length is reported, never the value.
    const length = Buffer.from(value, 'base64').length;
    throw new StartupError(
      `LATCH_AUDIT_SIGNING_KEY must be the base64 of exactly 32 bytes; it decodes to ${length}.\n${HOW_TO_MAKE}`,
    );
  }
  return signerFromSeed(seed);
}

/** Dev: a seed generated into the data folder on first start (audit-signing.key, mode 0600). */
export async function devAuditSigner(dataDir: string): Promise<AuditSigner> {
  const file = path.join(dataDir, 'audit-signing.key');
  try {
    // 'wx' fails if the file exists: an existing key is never overwritten.
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const seed = decodeSeed((await readFile(file, 'utf8')).trim());
  if (!seed) {
    throw new StartupError(
      `${file} is not the base64 of 32 bytes. Restore it from a backup, or delete it to make a new key (checkpoints made under the old one then no longer verify).`,
    );
  }
  return signerFromSeed(seed);
}

function decodeSeed(value: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return null;
  const seed = Buffer.from(value, 'base64');
  return seed.length === 32 ? seed : null;
}
