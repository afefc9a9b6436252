import { randomBytes } from 'node:crypto';
import { type Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. `Algorithm` is a const enum: 2 = argon2id. */
const ARGON2_OPTIONS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase, short enough that hashing cannot be turned into a DoS. */
export const PASSWORD_MAX_LENGTH = 256;

/** Unicode passwords hash the same whichever way the browser composed the characters. */
const normalise = (password: string) => password.normalize('NFKC');

export function hashPassword(password: string): Promise<string> {
  return hash(normalise(password), ARGON2_OPTIONS);
}

/** False for a wrong password and for a malformed stored hash: both are a failed sign-in. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX_LENGTH) return false;
  try {
    return await verify(stored, normalise(password));
  } catch {
    return false;
  }
}

let dummy: Promise<string> | null = null;

/**
 * A hash of a random password, with the same parameters as real ones. Verifying against it when
 * the email is unknown (or has no password) makes those answers take as long as a wrong password,
 * so response time does not reveal which emails have accounts.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url')).catch((err) => {
    dummy = null;
    throw err;
  });
  return dummy;
}

/** Shorter name parts ("al", "bob") occur in too many good passphrases to refuse them. */
const MIN_NAME_PART = 4;

/**
 * The rule for new passwords, as a sentence a person can act on; null when it is fine. With the
 * account's email, a password that is or contains the address (or its name part) is refused:
 * it is the first thing anyone who knows the address would try.
 */
export function passwordProblem(password: string, opts: { email?: string } = {}): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return `The password must be at least ${PASSWORD_MIN_LENGTH} characters long.`;
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return `The password must be at most ${PASSWORD_MAX_LENGTH} characters long.`;
  }
  if (opts.email) {
    const folded = normalise(password).toLowerCase();
    const email = opts.email.toLowerCase();
    const name = email.slice(0, email.lastIndexOf('@'));
    if (folded.includes(email) || (name.length >= MIN_NAME_PART && folded.includes(name))) {
      return 'The password must not contain your email address or its name part.';
    }
  }
  return null;
}
