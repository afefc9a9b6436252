import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636: 32 random bytes → a 43-character base64url verifier; S256 challenge. */
export function createPkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** Binds the browser's callback to this run of `latch login` (CSRF on the loopback redirect). */
export function createState(): string {
  return randomBytes(16).toString('base64url');
}
