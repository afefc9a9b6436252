import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from './startup-error.js';

const HOW_TO_MAKE = [
  'Make one with:',
  '  openssl rand -base64 32',
  'or',
  `  node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`,
  'and keep it safe: secrets stored with it cannot be read without it.',
].join('\n');

/** Production: LATCH_MASTER_KEY, the base64 of exactly 32 bytes, or no start at all. */
export function masterKeyFromEnv(raw: string | undefined): Buffer {
  const value = raw?.trim();
  if (!value) {
    throw new StartupError(
      `LATCH_MASTER_KEY is not set. It encrypts secrets at rest: 32 random bytes, base64.\n${HOW_TO_MAKE}`,
    );
  }
  const key = decodeKey(value);
  if (!key) {
    // Only the length is reported, never the value.
    const length = Buffer.from(value, 'base64').length;
    throw new StartupError(
      `LATCH_MASTER_KEY must be the base64 of exactly 32 bytes; it decodes to ${length}.\n${HOW_TO_MAKE}`,
    );
  }
  return key;
}

/**
 * Dev: a key generated into the data folder on first start and reused after, so secrets set in
 * one session still decrypt in the next.
 */
export async function devMasterKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'master.key');
  try {
    // 'wx' fails if the file exists: an existing key is never overwritten.
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = decodeKey((await readFile(file, 'utf8')).trim());
  if (!key) {
    throw new StartupError(
      `${file} is not the base64 of 32 bytes. Restore it from a backup; deleting it makes stored secrets unreadable.`,
    );
  }
  return key;
}

function decodeKey(value: string): Buffer | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return null;
  const key = Buffer.from(value, 'base64');
  return key.length === 32 ? key : null;
}
