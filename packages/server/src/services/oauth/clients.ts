import { createHash, timingSafeEqual } from 'node:crypto';
import { OAuthError } from './oauth-error.js';

export type OAuthClient = { id: string; name: string };

/** Only the CLI is a client: public (no secret), so PKCE or the device flow protects its grants. */
export const CLIENTS: Readonly<Record<string, OAuthClient>> = {
  'latch-cli': { id: 'latch-cli', name: 'Latchkey CLI' },
};

export const DEFAULT_DEVICE_NAME = 'latch CLI';

export function findClient(clientId: unknown): OAuthClient | null {
  return typeof clientId === 'string' && Object.hasOwn(CLIENTS, clientId) ? CLIENTS[clientId]! : null;
}

export function requireClient(clientId: unknown): OAuthClient {
  const client = findClient(clientId);
  if (!client) {
    throw new OAuthError(
      'invalid_client',
      typeof clientId === 'string' && clientId ? 'Unknown client_id.' : 'client_id is required.',
    );
  }
  return client;
}

/**
 * RFC 8252 §7.3: loopback IP literals with any port. `localhost` is refused (§8.3: it can resolve
 * elsewhere), and so is every other scheme or host. The raw string is matched, not only the parsed
 * URL, because WHATWG parsing turns `http://127.1/` or `http://0x7f.1/` into 127.0.0.1 and the
 * redirect URI is later compared byte for byte.
 */
const LOOPBACK_RE = /^http:\/\/(?:127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(?:\/[^\s#]*)?$/;

export function isLoopbackRedirectUri(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2000) return false;
  const match = LOOPBACK_RE.exec(value);
  if (!match) return false;
  if (match[1] !== undefined && Number(match[1]) > 65535) return false;
  try {
    const url = new URL(value);
    return (
      url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]') && !url.username
    );
  } catch {
    return false;
  }
}

/** RFC 7636 §4.1/§4.2: 43-128 unreserved characters; an S256 challenge is 43 base64url characters. */
const VERIFIER_RE = /^[A-Za-z0-9._~-]{43,128}$/;
const CHALLENGE_RE = /^[A-Za-z0-9_-]{43,128}$/;

export const isCodeChallenge = (value: unknown): value is string =>
  typeof value === 'string' && CHALLENGE_RE.test(value);

/** Constant-time: BASE64URL(SHA256(verifier)) == challenge. */
export function verifierMatches(verifier: unknown, challenge: string): boolean {
  if (typeof verifier !== 'string' || !VERIFIER_RE.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** The machine's hostname, shown on approval pages and used as the PAT's name. */
export function cleanDeviceName(value: unknown): string {
  if (typeof value !== 'string') return DEFAULT_DEVICE_NAME;
  // Control characters could fake line breaks or terminal escapes where the name is shown.
  const clean = value
    .replace(/\p{Cc}/gu, '')
    .trim()
    .slice(0, 100);
  return clean || DEFAULT_DEVICE_NAME;
}
